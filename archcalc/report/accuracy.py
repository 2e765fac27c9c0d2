"""Data for the "MACs vs ImageNet top-1" figure: every reference entry that records a top-1.

Each point's MACs are computed by archcalc at the entry's own point (variant
and vars), for the whole network — never the figure printed next to the
accuracy. Each network is drawn from one source family (:func:`series`).

By default the figure compares like with like (:func:`standard_points`): each
variant at its own standard input, trained on ImageNet-1K only. An entry is
left out when its vars change the input size (ConvNeXt at 384², MobileNet at
rho < 1) or its source says the model was pre-trained on ImageNet-21K/22K.

>>> source_family("Howard et al. 2017, Table 6"), source_family("torchvision resnet50 (GFLOPS 4.089)")
('Howard et al. 2017', 'torchvision')
>>> extra_data("ConvNeXt README, ImageNet-22K trained models (22K->1K acc@1)"), extra_data("Tan & Le 2019")
(True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#393b79", "#637939")


@dataclass(eq=False)
class Point:
    """One accuracy point: where it is, archcalc's MACs and params, the published top-1."""

    spec: str
    network: str
    variant: str | None
    vars: dict
    label: str
    macs: int
    params: int
    top1: float
    source: str
    standard_input: bool = True  # the input shape of the variant at its defaults
    pretrain: str | None = None  # the reference's extra pre-training data, if any

    @property
    def extra_data(self) -> bool:
        """Pre-trained on more than ImageNet-1K: by the reference's ``pretrain``, or its source text."""
        return self.pretrain is not None or extra_data(self.source)


#: sources that state pre-training on more data than ImageNet-1K
_EXTRA_DATA = re.compile(r"\b(ImageNet-?)?2[12]k\b|\bJFT\b|\binstagram\b", re.IGNORECASE)


def extra_data(source: str) -> bool:
    """Whether a source's text says its model was pre-trained beyond ImageNet-1K (21K/22K, JFT)."""
    return bool(_EXTRA_DATA.search(source))


def standard_points(points: list[Point]) -> list[Point]:
    """The points of the default figure: standard input, ImageNet-1K training only."""
    return [p for p in points if p.standard_input and not p.extra_data]


def source_family(source: str) -> str:
    """A paper (text before the first comma or parenthesis, with a year) or a model zoo (first word)."""
    head = _strip_parens(source).split(",")[0].strip()
    return head if re.search(r"(19|20)\d\d", head) else head.split()[0]


def _strip_parens(text: str) -> str:
    """``'Table 2 (error 23.29)'`` -> ``'Table 2'``: drop parenthesised remarks."""
    return re.sub(r"\s*\([^()]*\)", "", text).strip()


def point_label(ref) -> str:
    """A reference entry's point for a legend: ``'50, alpha=0.5'`` (``'default'`` for none)."""
    parts = [ref.variant] if ref.variant else []
    parts += [f"{k}={v}" for k, v in ref.vars.items()]
    return ", ".join(str(p) for p in parts) or "default"


def series(points: list[Point]) -> dict[tuple[str, str], list[Point]]:
    """The plotted lines, keyed by (network, line label), each sorted by MACs.

    Per network, only the source family with the most points is drawn. Its
    entries that set the same vars form a line; a line over two or more
    varying vars (MobileNet's alpha x rho grid) is split by its first var; a
    line that would hold one variant twice (ConvNeXt's ImageNet-1K and -22K
    rows) is split by source.
    """
    by_net: dict[str, list[Point]] = {}
    for p in points:
        by_net.setdefault(p.network, []).append(p)
    out: dict[tuple[str, str], list[Point]] = {}
    for net, ps in by_net.items():
        fams = list(dict.fromkeys(source_family(p.source) for p in ps))
        fam = max(fams, key=lambda f: sum(source_family(p.source) == f for p in ps))
        chosen = [p for p in ps if source_family(p.source) == fam]
        for label, line in _lines(chosen).items():
            out[(net, fam + label)] = sorted(line, key=lambda p: (p.macs, p.top1))
    return out


def _lines(points: list[Point]) -> dict[str, list[Point]]:
    groups: dict[tuple, list[Point]] = {}
    for p in points:
        groups.setdefault(tuple(p.vars), []).append(p)
    out: dict[str, list[Point]] = {}
    for keys, ps in groups.items():
        varying = [k for k in keys if len({repr(p.vars[k]) for p in ps}) > 1]
        fixed = "".join(f", {k}={ps[0].vars[k]}" for k in keys if k not in varying)
        if len(varying) >= 2 and not any(p.variant for p in ps):
            split = {p: f", {varying[0]}={p.vars[varying[0]]}" for p in ps}
        elif len({(p.variant, repr(p.vars)) for p in ps}) < len(ps):
            split = {p: ", " + ", ".join(_strip_parens(p.source).split(",")[1:]).strip() for p in ps}
        else:
            split = {p: "".join(f", {k} sweep" for k in varying) for p in ps}
        for p in ps:
            out.setdefault(fixed + split[p] + _variant_family(p, ps), []).append(p)
    return out


def _variant_family(p: Point, line: list[Point]) -> str:
    """Split a line of named variants into families: ``se-resnet-50/101`` apart from ``se-resnext-*``.

    Only where every variant of the line ends in ``-<depth>`` and every family has two or more
    points; the family is the name before the depth.
    """
    names = [q.variant or "" for q in line]
    if not all(re.search(r"-\d+$", n) for n in names):
        return ""
    families = [re.sub(r"-\d+$", "", n) for n in names]
    # each family must be a line of its own (wrn-50-2 and wrn-101-2 are one family, not two)
    if len(set(families)) < 2 or any(families.count(f) < 2 for f in families):
        return ""
    return f", {re.sub(r'-[0-9]+$', '', p.variant)}"


def ablations(lines: dict[tuple[str, str], list[Point]]) -> set[tuple[str, str]]:
    """Lines of a network's named variants next to a sweep of its default model (MobileNet's
    shallow and full-conv beside the alpha sweep): separate architectures, drawn unconnected."""
    swept = {net for (net, _), ps in lines.items() if all(p.variant is None for p in ps)}
    return {(net, label) for (net, label), ps in lines.items()
            if net in swept and all(p.variant is not None for p in ps)}


def plot_accuracy(points: list[Point], path, all_points: bool = False) -> Any:
    """MACs (log) vs top-1, lines from :func:`series` (all points are listed by :func:`points_table`).

    ``all_points`` says the points were not restricted by :func:`standard_points` (caption only);
    ``path`` may be a list of paths (one figure saved in each format).
    """
    from archcalc.report.plots import CAPTION, plot_series

    lines = series(points)
    nets = list(dict.fromkeys(net for net, _ in lines))
    unconnected = ablations(lines)
    styles, seen = [], {}
    for key in lines:
        net = key[0]
        seen[net] = seen.get(net, -1) + 1
        style = "none" if key in unconnected else ("-", "--", ":", "-.")[seen[net] % 4]
        styles.append({"color": _COLORS[nets.index(net) % len(_COLORS)],
                       "marker": "os^Dv<>p"[seen[net] % 8], "linestyle": style})
    data = [(f"{net} ({label})", [p.macs for p in ps], [p.top1 for p in ps], [_short(p, ps) for p in ps])
            for (net, label), ps in lines.items()]
    scope = ("every published top-1, whatever the input size or pre-training data" if all_points else
             "each model at its standard input size, trained on ImageNet-1K only (no 384² or ImageNet-22K "
             "pre-trained entries)")
    caption = (CAPTION + f" Top-1 as published (single crop, ImageNet-1k val) for {scope}, by the source in "
               "each legend entry (per network, the source with the most entries); MACs are archcalc's count "
               "at that model's variant and input, not the printed figure.")
    return plot_series(data, "macs", "top1", "ImageNet top-1 accuracy vs MACs", path, caption, logx=True,
                       styles=styles)


def _short(p: Point, line: list[Point]) -> str:
    """A point's label on the figure: its variant, else the vars that vary along its line (``alpha=0.75``)."""
    if p.variant:
        return p.variant
    varying = [k for k in p.vars if len({repr(q.vars.get(k)) for q in line}) > 1]
    return ", ".join(f"{k}={p.vars[k]}" for k in varying or p.vars)


def points_table(points: list[Point], fmt: str = "markdown") -> str:
    """The plotted data with sources, as a table (CSV keeps exact counts)."""
    from archcalc.report.tables import human, render

    headers = ["network", "point", "MACs (archcalc)", "params (archcalc)", "top-1 %", "source"]
    rows = [[p.network, p.label, human(p.macs), human(p.params), f"{p.top1:g}", p.source] for p in points]
    raw = [[p.network, p.label, p.macs, p.params, p.top1, p.source] for p in points]
    return render(headers, rows, fmt, raw)
