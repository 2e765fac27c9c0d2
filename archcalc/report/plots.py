"""Figures (matplotlib, Agg backend), written deterministically for committed reports.

Only the commands that draw import this module. Every figure has labelled
axes with units, a legend and a caption line stating the counting conventions.
Output is reproducible byte for byte on one matplotlib version: no dates, a
fixed ``svg.hashsalt``, text kept as text in SVG, no "Software" stamp in PNG.

>>> axis_label("macs")
'MACs (multiply-accumulates per image)'
>>> axis_label("macs", batch=8)
'MACs (multiply-accumulates per batch of 8)'
>>> conventions_caption(8, "fp16").endswith("batch 8, fp16.")
True
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archcalc.conventions import ARCHCALC
from archcalc.errors import SpecError
from archcalc.report.tables import human



def conventions_caption(batch: object = 1, dtype: str = "fp32") -> str:
    """The conventions line under every figure, naming the batch and dtype the counts were made at."""
    return ARCHCALC.describe("caption", batch=batch, dtype=dtype)


CAPTION = conventions_caption()

_AXIS = {
    "macs": "MACs (multiply-accumulates per image)",
    "flops": "FLOPs (floating-point operations per image)",
    "params": "params (learnable parameters)",
    "weights": "weights (conv and linear kernels)",
    "activations": "activations (output elements of all layers)",
    "peak": "peak activation memory (bytes)",
    "top1": "ImageNet top-1 accuracy (%)",
}
_METADATA = {
    ".png": {"Software": None},
    ".svg": {"Date": None, "Creator": "archcalc"},
    ".pdf": {"CreationDate": None, "ModDate": None, "Creator": "archcalc", "Producer": "archcalc"},
}


def axis_label(column: str, batch: object = 1) -> str:
    """An axis label with its unit for a table column (counts are per batch when ``batch`` is not 1)."""
    label = _AXIS.get(column, column)
    return label if str(batch) == "1" else label.replace("per image", f"per batch of {batch}")


def pyplot():
    """matplotlib.pyplot on the Agg backend with deterministic settings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcdefaults()
    plt.rcParams.update({
        "svg.hashsalt": "archcalc", "svg.fonttype": "none", "font.family": "DejaVu Sans",
        "font.size": 9, "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 100,
        "savefig.dpi": 150, "path.simplify": False,
    })
    return plt


def check_path(path: str | Path) -> Path:
    """A figure path with a supported extension (.png, .svg, .pdf) that can be written (archcalc.io).

    Directories are never created: a typo in ``--plot`` must not leave a tree behind.
    Call it before any work, so a bad target fails fast.
    """
    from archcalc.io import check_writable

    p = Path(path)
    if p.suffix.lower() not in _METADATA:
        raise SpecError(f"cannot write a figure to '{path}': use a .png, .svg or .pdf file name")
    check_writable(p, "a figure")
    return p


def save(fig, path: str | Path | Sequence[str | Path]) -> Path:
    """Save ``fig`` atomically (archcalc.io) without timestamps or version stamps, then close it.

    ``path`` may also be a temporary path handed out by :class:`archcalc.io.Staged`, or a
    list of paths: the one figure is saved in each format (``report`` writes a PNG and an
    SVG of one figure, drawn and labelled once). Returns the (last) path.
    """
    from archcalc.io import writing

    paths = [check_path(q) for q in (path if isinstance(path, (list, tuple)) else [path])]
    import matplotlib.pyplot as plt

    try:
        for p in paths:
            with writing(p, "a figure") as tmp:
                fig.savefig(tmp, format=p.suffix.lower()[1:], metadata=_METADATA[p.suffix.lower()])
    finally:
        plt.close(fig)
    return paths[-1]


def add_caption(fig, text: str, width: int = 120) -> None:
    """A small caption under the axes (wrapped); the bottom margin grows to keep it clear of the x label."""
    wrapped = textwrap.fill(text, width)
    fig.text(0.01, 0.01, wrapped, fontsize=7, ha="left", va="bottom", color="0.25")
    lines = wrapped.count("\n") + 1
    caption_height = (lines * 7 * 1.3 + 6) / (fig.get_figheight() * 72)  # points -> figure fraction
    x_label_height = 40 / (fig.get_figheight() * 72)  # tick labels and the axis label
    fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, caption_height + x_label_height))


def count_formatter():
    """A tick formatter that prints counts as 300M, 4.1G."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: human(v, 3))


def _format_axis(axis, column: str) -> None:
    if column in ("macs", "flops", "params", "weights", "activations", "peak"):
        axis.set_major_formatter(count_formatter())


def plot_series(series: Sequence[tuple[str, Sequence[Any], Sequence[Any], Sequence[str]]],
                x: str, y: str, title: str, path: str | Path, caption: str = CAPTION,
                logx: bool = False, styles: Sequence[dict] | None = None, batch: object = 1,
                line_labels: bool = False) -> Path:
    """Lines of (label, xs, ys, point labels): ``y`` against ``x``, annotated, captioned.

    ``styles`` optionally gives each line's matplotlib keywords (color, marker, linestyle);
    ``batch`` is the batch the counts were made at (it names the axes' unit). With
    ``line_labels`` each line's label is also written beside its last point, in its colour.
    Every point label is drawn (:func:`label_points` moves them apart).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 5.8) if len(series) > 6 else (7.5, 5.2))
    labels: list[list[tuple[float, float, str]]] = []
    paths: list[list[tuple[float, float]]] = []
    ends: list[tuple] = []
    ax.set_prop_cycle(color=[plt.get_cmap("tab20")(i % 20) for i in range(0, 40, 2)]
                      + [plt.get_cmap("tab20")(i) for i in range(1, 20, 2)])
    for i, (label, xs, ys, names) in enumerate(series):
        pts = [(float(a), float(b), n) for a, b, n in zip(xs, ys, names) if a is not None and b is not None]
        if not pts:
            continue
        style = {"marker": "o", **(styles[i] if styles else {})}
        (drawn,) = ax.plot([p[0] for p in pts], [p[1] for p in pts], markersize=4, linewidth=1.2, label=label,
                           **style)
        labels.append([(px, py, n) for px, py, n in pts if n])
        paths.append([(px, py) for px, py, _ in pts] if style.get("linestyle") != "none" else [])
        if line_labels:
            ends.append((pts[-1][0], pts[-1][1], label, drawn.get_color()))
    if logx:
        ax.set_xscale("log")
    _format_axis(ax.xaxis, x)
    _format_axis(ax.yaxis, y)
    ax.set_xlabel(axis_label(x, batch) + (", log scale" if logx else ""))
    ax.set_ylabel(axis_label(y, batch))
    ax.set_title(title)
    if len(series) > 6:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        fig.subplots_adjust(bottom=0.2, left=0.07, right=0.58, top=0.93)
    else:
        ax.legend(fontsize=7, loc="best")
        fig.subplots_adjust(bottom=0.2, left=0.11, right=0.98, top=0.93)
    label_points(ax, ends + [p for line in labels for p in line[-1:]] + [p for line in labels for p in line[:-1]],
                 paths)
    add_caption(fig, caption)
    return save(fig, path)


#: label offsets tried around a point, nearest ring first: radii in points, angles in degrees
_RADII = (4, 9, 15, 22, 30, 40, 52, 66, 82, 100, 120)
_ANGLES = (45, -45, 135, -135, 0, 180, 90, -90, 22, -22, 158, -158, 68, -68, 112, -112)
#: what a label box may not cover, by weight: another label, a marker, outside the axes, a line
_COST = {"label": 50, "marker": 6, "outside": 200, "line": 1}


def _count_in(samples, xs, x0, x1, y0, y1, cap: int) -> int:
    """How many of ``samples`` (sorted; ``xs`` their x) lie in [x0, x1] × [y0, y1], at most ``cap``."""
    from bisect import bisect_left, bisect_right

    n = 0
    for k in range(bisect_left(xs, x0), bisect_right(xs, x1)):
        if y0 <= samples[k][1] <= y1:
            n += 1
            if n == cap:
                break
    return n


def _ring(radius: float) -> list[tuple[float, float]]:
    import math

    return [(radius * math.cos(math.radians(a)), radius * math.sin(math.radians(a))) for a in _ANGLES]


def label_points(ax, labels: Sequence[tuple], lines: Sequence[Sequence[tuple[float, float]]] = ()) -> list:
    """Annotate every point, moving labels apart instead of dropping them (a deterministic repel).

    ``labels`` are ``(x, y, text)`` or ``(x, y, text, color)`` in priority order.
    Each label tries offsets on rings of growing radius around its point and
    takes the first spot that covers no label placed before, no marker and no
    drawn line (``lines``: the data points of each line), inside the axes; when
    every spot covers something it takes the least-covered one. A label placed
    off the first ring gets a thin leader line to its point. Returns the
    annotations, one per label.
    """
    fig = ax.figure
    fig.canvas.draw()  # final limits and layout: display coordinates are only right after a draw
    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    scale = fig.dpi / 72.0
    axbox = ax.get_window_extent(renderer)
    markers = [tuple(to_px((x, y))) for x, y, *_ in labels]
    samples = []
    for line in lines:
        pts = [tuple(to_px(p)) for p in line]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            n = min(400, max(1, int(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 // 4)))
            samples += [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(n + 1)]
    samples.sort()
    sample_x = [sx for sx, _ in samples]
    placed: list = []
    drawn = []
    for i, (x, y, text, *rest) in enumerate(labels):
        color = rest[0] if rest else "0.3"
        probe = ax.annotate(text, (x, y), fontsize=6)
        ext = probe.get_window_extent(renderer)
        w, h = ext.width * 1.08 + 2, ext.height * 1.1 + 1
        probe.remove()
        px, py = markers[i]
        best = None
        for radius in _RADII:
            for dx, dy in _ring(radius):
                ox, oy = dx * scale, dy * scale
                x0 = px + ox - (0 if dx > 0.5 else w if dx < -0.5 else w / 2)
                y0 = py + oy - (0 if dy > 0.5 else h if dy < -0.5 else h / 2)
                x1, y1 = x0 + w, y0 + h
                box = (x0, y0, x1, y1)  # Bbox.overlaps on plain floats (w, h > 0): the same comparisons
                cost = _COST["outside"] * (not (axbox.x0 <= x0 and x1 <= axbox.x1
                                                and axbox.y0 <= y0 and y1 <= axbox.y1))
                cost += _COST["label"] * sum(x0 <= bx1 and bx0 <= x1 and y0 <= by1 and by0 <= y1
                                             for bx0, by0, bx1, by1 in placed)
                cost += _COST["marker"] * sum(1 for j, (mx, my) in enumerate(markers) if j != i
                                              and x0 - 2 <= mx <= x1 + 2 and y0 - 2 <= my <= y1 + 2)
                cost += _COST["line"] * _count_in(samples, sample_x, x0, x1, y0, y1, 5)
                if best is None or cost < best[0]:
                    best = (cost, radius, dx, dy, box)
                if cost == 0:
                    break
            if best[0] == 0:
                break
        _, radius, dx, dy, box = best
        ha = "left" if dx > 0.5 else "right" if dx < -0.5 else "center"
        va = "bottom" if dy > 0.5 else "top" if dy < -0.5 else "center"
        arrow = {"arrowstyle": "-", "color": "0.6", "lw": 0.5, "shrinkA": 0, "shrinkB": 2} if radius > _RADII[1] else None
        drawn.append(ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy), ha=ha, va=va,
                                 fontsize=6, color=color, arrowprops=arrow))
        placed.append(box)
    return drawn


def plot_layers(names: Sequence[str], macs: Sequence[int], params: Sequence[int], kinds: Sequence[str],
                title: str, path: str | Path, caption: str = CAPTION, batch: object = 1,
                xlabel: str = "layer (document order)", legend: bool = True) -> Path:
    """Bars of MACs (top) and params (bottom) per named item (layer or group), coloured by ``kinds``."""
    plt = pyplot()
    n = len(names)
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(min(16, max(7.5, 0.14 * n + 2)), 6.5))
    order = list(dict.fromkeys(kinds))
    cmap = plt.get_cmap("tab10")
    colors = [cmap(order.index(k) % 10) for k in kinds]
    xs = list(range(n))
    ax1.bar(xs, [float(m) for m in macs], color=colors)
    ax2.bar(xs, [float(p) for p in params], color=colors)
    ax1.set_ylabel("MACs per image" if str(batch) == "1" else f"MACs per batch of {batch}")
    ax2.set_ylabel("learnable params")
    for ax in (ax1, ax2):
        ax.yaxis.set_major_formatter(count_formatter())
    step = -(-n // 100)  # at most 100 tick labels
    ax2.set_xticks(xs[::step])
    ax2.set_xticklabels(names[::step], rotation=90, fontsize=5 if n > 40 else 7)
    fig.align_ylabels((ax1, ax2))
    ax2.set_xlabel(xlabel + (f", every {step}th labelled" if step > 1 else ""))
    ax1.set_title(title)
    from matplotlib.patches import Patch

    if legend:
        ax1.legend(handles=[Patch(color=cmap(i % 10), label=k) for i, k in enumerate(order)], fontsize=7)
    fig.subplots_adjust(bottom=0.3, left=0.1, right=0.98, top=0.94, hspace=0.08)
    add_caption(fig, caption, width=140)
    return save(fig, path)
