"""Cartesian sweeps of a spec's vars: one analysed row per grid point.

``archcalc sweep mobilenet --alpha 1,0.75,0.5,0.25 --rho 1,6/7,5/7,4/7`` is
MobileNet's 16-model α×ρ grid (Tables 6-7). List values are split on commas at
the top level only, so ``[1, 2],[3, 4]`` is two lists, and every value is
parsed exactly (``6/7`` stays a fraction).

>>> split_list("1,6/7, 5/7")
['1', '6/7', '5/7']
>>> split_list("[1, 2],[3, 4]")
['[1, 2]', '[3, 4]']
>>> [len(p) for p in grid([("alpha", ["1", "0.5"]), ("rho", ["1", "6/7", "5/7"])])]
[2, 2, 2, 2, 2, 2]
"""

from __future__ import annotations

import itertools
from typing import Any

from archcalc.errors import SettingError, SpecError
from archcalc.report.compare import Row
from archcalc.spec.expr import parse_value

VARIANT = "variant"  #: axis name that sweeps variants instead of a var
RESOLUTION = "resolution"  #: axis name passed as ``resolution=`` (a var where the spec has one)


def split_list(text: str) -> list[str]:
    """Split ``text`` on commas outside brackets and parentheses; each item is checked to parse."""
    items, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur).strip())
    if depth != 0 or any(not i for i in items):
        raise SpecError(f"cannot split '{text}' into a comma-separated list of values")
    return items


def parse_axis(name: str, text: str) -> tuple[str, list[str]]:
    """One sweep axis: a var name and its values (validated with the exact expression parser;
    ``true``/``false`` are truth values, a resolution may be ``HxW``); a bad value is a
    SettingError of ``var NAME`` (or ``resolution``)."""
    from archcalc.point import TRUTH, parse_size

    values = split_list(text)
    if name != VARIANT:
        for v in values:
            if v in TRUTH or (name == RESOLUTION and isinstance(parse_size(v), tuple)):
                continue
            try:
                parse_value(v)
            except SpecError as e:
                setting = RESOLUTION if name == RESOLUTION else f"var {name}"
                raise SettingError(setting, f"value '{v}': {e.message}") from None
    return name, values


#: most points one sweep computes (checked before any analysis; docs/output.md)


def axes_from_options(sets: list[str] | None, variant: str | None = None,
                      shorthands: list[tuple[str, str]] = (),
                      resolution: str | None = None) -> list[tuple[str, list[str]]]:
    """Axes in this order: ``variant``, the ``--VAR LIST`` shorthands (as typed: ``[('alpha',
    '1,0.5')]``), ``resolution``, then the ``--set VAR=LIST`` items."""
    axes = []
    if variant is not None:
        axes.append(parse_axis(VARIANT, variant))
    for name, text in shorthands:
        axes.append(parse_axis(name, text))
    if resolution is not None:
        axes.append(parse_axis(RESOLUTION, resolution))
    for item in sets or []:
        name, eq, text = item.partition("=")
        if not eq or not name.strip() or not text.strip():
            raise SettingError("sets", f"expects VAR=LIST, got '{item}'", form="{setting} {detail}")
        axes.append(parse_axis(name.strip(), text.strip()))
    names = [n for n, _ in axes]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SpecError(f"var {', '.join(dup)} is swept twice; give each var one list")
    grid_size(axes)
    return axes


MAX_GRID_POINTS = 10_000  #: points of one sweep (each is a full analysis), checked before any runs


def grid_size(axes: list[tuple[str, list[str]]]) -> int:
    """The number of points of the axes' grid, checked against :data:`MAX_GRID_POINTS`."""
    size = 1
    for _, vals in axes:
        size *= len(vals)
    if size > MAX_GRID_POINTS:
        shape = " x ".join(f"{len(v)} {n}" for n, v in axes)
        raise SpecError(f"the sweep has {size:,} points ({shape}); the limit is {MAX_GRID_POINTS:,}")
    return size


def grid(axes: list[tuple[str, list[str]]]) -> list[dict[str, str]]:
    """The cartesian product of the axes, first axis slowest, as ``{name: value}`` points."""
    grid_size(axes)
    names = [n for n, _ in axes]
    return [dict(zip(names, combo)) for combo in itertools.product(*(vals for _, vals in axes))]




def series(rows: list[Row], axes: list[tuple[str, list[str]]]) -> list[tuple[str, list[Row]]]:
    """Rows split into lines: one per combination of all axes but the last (first axis slowest)."""
    if len(axes) <= 1:
        return [(", ".join(n for n, _ in axes) or "points", rows)]
    out: dict[str, list[Row]] = {}
    for r in rows:
        label = ", ".join(f"{n}={v}" for (n, _), v in zip(axes[:-1], r.labels[:-1]))
        out.setdefault(label, []).append(r)
    return list(out.items())


def plot_sweep(rows: list[Row], axes: list[tuple[str, list[str]]], x: str, y: str, path) -> Any:
    """Draw column ``y`` against ``x`` for the grid, one line per value of the leading axes."""
    from archcalc.report.compare import column_values
    from archcalc.report.plots import conventions_caption, plot_series

    lines = []
    for label, rs in series(rows, axes):
        names = [f"{axes[-1][0]}={r.labels[-1]}" for r in rs] if axes else [""] * len(rs)
        lines.append((label, column_values(rs, x), column_values(rs, y), names))
    first = rows[0].analysis if rows else None
    name = first.network.name if first else ""
    batch, dtype = (first.batch, first.dtype) if first else (1, "fp32")
    grid_text = " x ".join(f"{n} in {{{', '.join(v)}}}" for n, v in axes)
    return plot_series(lines, x, y, f"{name}: {grid_text}", path, conventions_caption(batch, dtype), batch=batch,
                       line_labels=len(lines) > 1)
