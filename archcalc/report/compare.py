"""Side-by-side tables of networks: one row per analysed point, chosen columns.

A *column* is a metric of one :class:`~archcalc.api.Analysis` (``params``,
``macs``, ...) or a published figure from the spec's ``reference:`` list that
was printed for exactly that point (``published``, ``deviation``, ``top1``).
The same rows serve ``archcalc compare``, ``archcalc sweep`` and the reports.

Published figures are the reference entries recorded at exactly the row's
point (:meth:`archcalc.api.Analysis.checks`; ``{alpha: 1}`` matches MobileNet at
its defaults); params are compared in the source's own convention.

>>> split_spec_arg("specs/resnet.yaml:50")
('specs/resnet.yaml', '50')
>>> split_spec_arg("mobilenet")
('mobilenet', None)
>>> pct(0.0412)
'+0.04%'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from archcalc.conventions import ARCHCALC
from archcalc.errors import SpecError
from archcalc.point import split_spec as split_spec_arg  # noqa: F401 (the study layer's name for it)
from archcalc.reference import choose
from archcalc.report.formats import dumps, latex_text  # noqa: F401 (latex_text re-exported)
from archcalc.report.tables import human, human_bytes, render, shape_str

#: the columns a user can ask for, in display order
COLUMNS = ("input", "params", "weights", "macs", "flops", "activations", "peak",
           "published", "deviation", "top1", "source")
DEFAULT_COLUMNS = ("params", "macs", "flops", "activations", "peak", "published", "deviation", "top1")


@dataclass
class Row:
    """One analysed point: its label cells, the analysis and the matching reference checks."""

    labels: list[Any]
    analysis: Any
    macs_check: Any = None  # archcalc.reference.Check with a published MACs figure, or None
    params_check: Any = None
    top1: tuple[float, str] | None = None  # (top-1 %, source)
    extra: dict = field(default_factory=dict)  # "source": the key of the row's one published source


def pct(v: float | None) -> str:
    """A signed percentage with two decimals (``'-'`` when unknown)."""
    return "-" if v is None else f"{v:+.2f}%"


def parse_columns(text: str | None, default: tuple[str, ...] = DEFAULT_COLUMNS) -> tuple[str, ...]:
    """``'params,macs'`` -> ('params', 'macs'), each checked against :data:`COLUMNS`."""
    if not text:
        return default
    cols = tuple(c.strip() for c in text.split(",") if c.strip())
    bad = [c for c in cols if c not in COLUMNS]
    if bad:
        raise SpecError(f"unknown column(s) {', '.join(bad)} (choose from {', '.join(COLUMNS)})")
    return cols


# --------------------------------------------------------------- reference --
def _preference(c) -> tuple:
    """Sort key of checks: non-deviating, then whole-network entries first, then spec order."""
    return (c.ref.deviation is not None, bool(c.ref.exclude))


def attach_references(row: Row, source: str | None = None) -> Row:
    """Fill ``row``'s published MACs / params checks and top-1 from the entries at its point
    (the analysis's own :meth:`~archcalc.api.Analysis.checks`).

    Every figure of the row comes from one source (:func:`archcalc.reference.choose`):
    ``source`` (a key or a class) or by default the spec's paper, other papers, then
    official implementations. The chosen source's key is ``row.extra["source"]``.
    """
    if row.analysis.symbolic:
        return row
    chosen = choose(row.analysis.loaded, row.analysis.checks(), source)
    if chosen:
        row.extra["source"] = chosen[0].source_key
    for c in sorted(chosen, key=_preference):
        if row.macs_check is None and c.macs_fig is not None:
            row.macs_check = c
        if row.params_check is None and c.params_fig is not None:
            row.params_check = c
        if row.top1 is None and c.ref.top1 is not None and not c.ref.exclude:
            row.top1 = (c.ref.top1, c.ref.source)
    return row


# ----------------------------------------------------------------- columns --
def _published(check, fig_attr: str, what: str) -> str:
    if check is None:
        return "-"
    fig = getattr(check, fig_attr)
    exact = fig.exact and str(fig.value) == fig.text
    text = human(fig.value) if exact else fig.text
    notes = ["exact"] if exact else []
    if what == "params" and check.ref.params_convention != "all":
        notes.append(check.ref.params_convention)
    if check.ref.exclude:
        notes.append("w/o " + "+".join(check.ref.exclude))
    if check.ref.deviation and getattr(check, f"{what}_ok") is False:
        notes.append("deviation noted")
    return text + (f" ({', '.join(notes)})" if notes else "")


def _source_texts(row: Row) -> str:
    seen = []
    for s in ((row.macs_check.ref.source if row.macs_check else None),
              (row.params_check.ref.source if row.params_check else None),
              (row.top1[1] if row.top1 else None)):
        if s and s not in seen:
            seen.append(s)
    return " | ".join(seen) or "-"


def _source(row: Row) -> str:
    """The key of the one source the row's published figures come from."""
    return row.extra.get("source", "-") if (row.macs_check or row.params_check or row.top1) else "-"


def _t(row: Row) -> dict:
    return row.analysis.totals


class Cell(NamedTuple):
    """One table cell kind: its header, its display text and its exact value (with the value's unit)."""

    header: str
    show: Callable[[Row], Any]
    raw: Callable[[Row], Any]
    unit: str = ""  # unit of ``raw`` when the header does not say it ("%", "bytes")
    raw_only: bool = False  # a CSV/JSON column only (the unit of a published figure)
    value: Callable[[Row], Any] | None = None  # the value to sort and plot by, when not ``raw``

    @property
    def raw_header(self) -> str:
        """The CSV/JSON column name: the header with the unit of the exact value."""
        return f"{self.header} ({self.unit})" if self.unit else self.header


def _macs_dev(r: Row) -> Any:
    return r.macs_check and r.macs_check.macs_deviation_pct


def _params_dev(r: Row) -> Any:
    return r.params_check and r.params_check.params_deviation_pct


def _round2(v: Any) -> Any:
    """A percentage for CSV: rounded to 2 decimals, as the tables print it (JSON keeps it exact)."""
    return v if v is None or isinstance(v, str) else round(float(v), 2)


_PRINTED = re.compile(r"([0-9]*\.?[0-9]+)\s*([KMGBT]?)")


def printed(fig) -> tuple[int | float | None, str]:
    """A published figure as printed, split into a number and its unit: ``'4.2M'`` -> (4.2, 'M').

    >>> from types import SimpleNamespace as NS
    >>> printed(NS(text="569M")), printed(NS(text="4.2M")), printed(NS(text="25557032")), printed(None)
    ((569, 'M'), (4.2, 'M'), (25557032, ''), (None, ''))
    """
    if fig is None:
        return None, ""
    m = _PRINTED.fullmatch(str(fig.text).strip())
    if not m:
        return None, ""
    digits, unit = m.groups()
    return (float(digits) if "." in digits else int(digits)), unit


_PUBLISHED = ("pub. MACs", "pub. params")


def csv_numeric(headers: list[str], rows: list[list[Any]]) -> tuple[list[str], list[list[Any]]]:
    """CSV cells as numbers: a published figure (``'569M'``) split into its printed number and a
    unit column after it (``569``, ``M``); percentages rounded to 2 decimals, as the tables print them.

    >>> csv_numeric(["pub. MACs", "MACs dev. (%)"], [["569M", -0.0456323]])
    (['pub. MACs', 'pub. MACs unit', 'MACs dev. (%)'], [[569, 'M', -0.05]])
    """
    out_h: list[str] = []
    for h in headers:
        out_h += [h, f"{h} unit"] if h in _PUBLISHED else [h]
    out_rows = []
    for row in rows:
        cells_: list[Any] = []
        for h, v in zip(headers, row):
            if h in _PUBLISHED:
                number, unit = printed(None if v is None else type("F", (), {"text": v})())
                cells_ += [number, unit or None]
            elif h.endswith("(%)"):
                cells_.append(_round2(v))
            else:
                cells_.append(_plain(v))
        out_rows.append(cells_)
    return out_h, out_rows


def _fig(check, attr: str):
    return getattr(check, attr) if check is not None else None


#: column key -> its cells; raw values go to CSV and JSON under ``Cell.raw_header``
CELLS: dict[str, list[Cell]] = {
    "input": [Cell("input", lambda r: shape_str(r.analysis.network.input_shape),
                   lambda r: shape_str(r.analysis.network.input_shape))],
    "params": [Cell("params", lambda r: human(_t(r)["params"]), lambda r: _t(r)["params"])],
    "weights": [Cell("weights", lambda r: human(_t(r)["params_by_kind"]["weights"]),
                     lambda r: _t(r)["params_by_kind"]["weights"])],
    "macs": [Cell("MACs", lambda r: human(_t(r)["macs"]), lambda r: _t(r)["macs"])],
    "flops": [Cell("FLOPs", lambda r: human(_t(r)["flops"]), lambda r: _t(r)["flops"])],
    "activations": [Cell("activations", lambda r: human(_t(r)["activations"]), lambda r: _t(r)["activations"])],
    "peak": [Cell("peak act. mem.", lambda r: human_bytes(_t(r)["peak_activation_bytes"]),
                  lambda r: _t(r)["peak_activation_bytes"], "bytes")],
    "published": [
        Cell("pub. MACs", lambda r: _published(r.macs_check, "macs_fig", "macs"),
             lambda r: r.macs_check.macs_fig.text if r.macs_check else None,
             value=lambda r: r.macs_check.macs_fig.value if r.macs_check else None),
        Cell("pub. params", lambda r: _published(r.params_check, "params_fig", "params"),
             lambda r: r.params_check.params_fig.text if r.params_check else None,
             value=lambda r: r.params_check.params_fig.value if r.params_check else None),
    ],
    "deviation": [
        Cell("MACs dev.", lambda r: pct(_macs_dev(r)), _macs_dev, "%"),
        Cell("params dev.", lambda r: pct(_params_dev(r)), _params_dev, "%"),
    ],
    "top1": [Cell("top-1 %", lambda r: f"{r.top1[0]:g}" if r.top1 else "-", lambda r: r.top1[0] if r.top1 else None)],
    "source": [Cell("source", _source, _source_texts)],
}


CONVENTION_PREFIX = "convention:"


def convention_column(name: str) -> str:
    """The column key of a counting preset's total (``compare --conventions``)."""
    return CONVENTION_PREFIX + name


def _convention_total(row: Row, name: str) -> Any:
    cache = row.extra.setdefault("convention_totals", {})
    if name not in cache:
        cache[name] = sum(row.analysis.convention_counts(name))
    return cache[name]


def _cells_of(column: str) -> list[Cell]:
    if column.startswith(CONVENTION_PREFIX):
        from archcalc.conventions import get

        name = column[len(CONVENTION_PREFIX):]
        unit = get(name).unit
        return [Cell(name, lambda r: human(_convention_total(r, name)), lambda r: _convention_total(r, name),
                     unit)]
    return CELLS[column]


def headers_for(columns: tuple[str, ...], raw: bool = False) -> list[str]:
    """Headers of the chosen columns (CSV/JSON names, with units, with ``raw``)."""
    return [cell.raw_header if raw else cell.header for c in columns for cell in _cells_of(c)
            if raw or not cell.raw_only]


def cells(row: Row, columns: tuple[str, ...], raw: bool = False, sortable: bool = False) -> list[Any]:
    """One row's cells for the chosen columns (exact values with ``raw``; with ``sortable`` the
    values to sort by, one per shown cell: a published figure's full value, not its printed digits)."""
    if sortable:
        return [(cell.value or cell.raw)(row) for c in columns for cell in _cells_of(c) if not cell.raw_only]
    return [(cell.raw if raw else cell.show)(row) for c in columns for cell in _cells_of(c)
            if raw or not cell.raw_only]


def sort_rows(rows: list[Row], key: str | None) -> list[Row]:
    """Rows sorted ascending by a numeric column's first value (``None`` keeps the order)."""
    if not key:
        return rows
    values = column_values(rows, key)
    order = sorted(range(len(rows)), key=lambda i: (values[i] is None, _sortable(values[i])))
    return [rows[i] for i in order]


def _sortable(v: Any) -> Any:
    from fractions import Fraction

    return v if isinstance(v, (int, float, Fraction)) else float("inf") if v is None else str(v)


def column_values(rows: list[Row], column: str) -> list[Any]:
    """The exact values of a column's first cell over ``rows`` (for sorting and plots)."""
    if column not in CELLS and not column.startswith(CONVENTION_PREFIX):
        raise SpecError(f"unknown column '{column}' (choose from {', '.join(COLUMNS)})")
    cell = _cells_of(column)[0]
    get = cell.value or cell.raw
    return [get(r) for r in rows]


# ------------------------------------------------------------------ output --
def conventions_note(rows: list[Row]) -> str:
    """One sentence with the counting conventions and the inputs, batch and dtype of ``rows``."""
    inputs = sorted({shape_str(r.analysis.network.input_shape) for r in rows})
    batches = sorted({str(r.analysis.batch) for r in rows})
    dtypes = sorted({r.analysis.dtype for r in rows})
    return ARCHCALC.describe("compare", inputs=inputs, batches=batches, dtypes=dtypes)


#: the columns whose cells come from a published source
PUBLISHED_COLUMNS = ("published", "deviation", "top1")
SOURCE_NOTE = ("Published figures: one source per row, named in the source column (the spec's own paper "
               "first, then other papers, then official implementations; --source picks one).")


def with_source(columns: tuple[str, ...]) -> tuple[str, ...]:
    """``columns`` plus ``source`` after them when any cell comes from a published source."""
    if "source" in columns or not set(columns) & set(PUBLISHED_COLUMNS):
        return columns
    return columns + ("source",)


def render_rows(label_headers: list[str], rows: list[Row], columns: tuple[str, ...], fmt: str,
                caption: str | None = None, source_column: bool = True) -> str:
    """Render labelled rows in table, markdown, latex, csv or json (with the conventions).

    CSV and JSON hold exact values under headers that name their unit
    (``MACs dev. (%)``; CSV rounds percentages to 2 decimals, JSON keeps them exact;
    published figures are numbers as printed, their unit in a column of its own);
    the other formats show human units in the cells. Published cells bring the
    ``source`` column with them (unless ``source_column`` is false: the caller
    names the sources otherwise).
    """
    if source_column:
        columns = with_source(columns)
    presets = [c[len(CONVENTION_PREFIX):] for c in columns if c.startswith(CONVENTION_PREFIX)]
    raw_headers = label_headers + headers_for(columns, raw=True)
    raw = [r.labels + cells(r, columns, raw=True) for r in rows]
    if fmt == "json":
        doc = {"conventions": conventions_note(rows)}
        if presets:
            from archcalc.conventions import get

            doc["presets"] = [{"name": p.name, "unit": p.unit, "tool": p.tool, "tool_version": p.tool_version}
                              for p in map(get, presets)]
        doc["rows"] = [dict(zip(raw_headers, map(_plain, v))) for v in raw]
        return dumps(doc, indent=2) + "\n"
    if fmt == "csv":
        return render(*csv_numeric(raw_headers, raw), "csv")
    shown = [[str(x) for x in r.labels] + cells(r, columns) for r in rows]
    body = render(label_headers + headers_for(columns), shown, fmt)
    note = conventions_note(rows)
    if source_column and "source" in columns:
        note += " " + SOURCE_NOTE
    if presets:
        from archcalc.conventions import get

        note += " Presets: " + "; ".join(get(p).label for p in presets) + " (archcalc conventions)."
    if fmt == "latex":
        return latex_table(body, note, caption)
    if fmt == "markdown":
        return (f"{caption}\n\n" if caption else "") + body + f"\n\n*{note}*\n"
    return (f"{caption}\n" if caption else "") + body + f"\n{note}\n"


def latex_table(tabular: str, note: str, caption: str | None = None) -> str:
    """A booktabs ``table`` float: a caption (above, as tables have it), the tabular, a footnote
    with the conventions."""
    lines = [r"% needs \usepackage{booktabs,graphicx}", r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(r"\caption{" + latex_text(caption) + "}")
    lines += [r"\small", r"\resizebox{\linewidth}{!}{%", tabular.strip() + "}", r"\par\smallskip",
              r"\parbox{\linewidth}{\footnotesize " + latex_text(note) + "}", r"\end{table}"]
    return "\n".join(lines) + "\n"




def _plain(v: Any) -> Any:
    """A JSON/CSV-friendly value: Fractions and other numbers as text, ints and floats kept."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)
