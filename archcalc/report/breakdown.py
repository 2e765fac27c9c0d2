"""Where the parameters and the computation go: costs grouped by op, block, stage or layer type.

``--by kind`` is the MobileNet paper's Table 2 ("resource per layer type"): it
tells depthwise convolutions, pointwise 1x1 convolutions, other (standard or
grouped) convolutions and fully connected layers apart by the kind each op
declares (:meth:`archcalc.ops.Op.layer_kind`). Shares are given of the total
MACs, of all params, and of the *weights* alone (conv and linear kernels, the
paper's convention: no biases, no BN).

>>> from types import SimpleNamespace as NS
>>> from archcalc.ops.conv import Conv2d
>>> from archcalc.ops.linear import Linear
>>> layer_type(NS(op=Conv2d(op="conv2d", out_channels=32, kernel_size=3, groups=32), in_shapes=[(32, 112, 112)]))
'depthwise conv 3x3'
>>> layer_type(NS(op=Conv2d(op="conv2d", out_channels=64, kernel_size=1), in_shapes=[(32, 112, 112)]))
'conv 1x1'
>>> layer_type(NS(op=Linear(op="linear", out_features=1000), in_shapes=[(1024,)]))
'fully connected'
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from archcalc.errors import SettingError, SpecError
from archcalc.report.tables import human, render

GROUPINGS = ("op", "block", "stage", "kind")


def _pair(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def layer_type(layer) -> str:
    """The layer's type in the MobileNet paper's sense, from the kind its op declares
    (:meth:`archcalc.ops.Op.layer_kind`): ``depthwise conv 3x3``, ``grouped conv 3x3``,
    ``conv 1x1`` (pointwise and standard convs), ``fully connected``; otherwise its op name.
    """
    op = layer.op
    kind = op.layer_kind(layer.in_shapes)
    if kind in _CONV_LABELS:
        kh, kw = _pair(op.kernel_size)
        return f"{_CONV_LABELS[kind]} {kh}x{kw}"
    if kind == "linear":
        return "fully connected"
    return op.op


_CONV_LABELS = {"depthwise": "depthwise conv", "grouped": "grouped conv", "pointwise": "conv", "conv": "conv"}


def check_grouping(by: str) -> str:
    """``by`` when it is one of :data:`GROUPINGS`, else a SpecError naming them."""
    if by not in GROUPINGS:
        raise SettingError("by", f"unknown grouping '{by}' (choose from {', '.join(GROUPINGS)})")
    return by


def block_of(cost) -> str:
    """The block a layer belongs to for ``--by block``: its outermost block call below the stage.

    A stage that is itself a block call (ResNet's ``layer1``, a ``stage`` block
    repeating bottlenecks) is not the block: its residual units (``layer1.0``)
    are. A layer inside no block below the stage is grouped under its stage
    (``stem``), as in ``--by stage``.

    >>> from types import SimpleNamespace as NS
    >>> block_of(NS(name="layer1.0.conv1", blocks=("layer1", "layer1.0")))
    'layer1.0'
    >>> block_of(NS(name="stage2.block0.mbconv.se.reduce", blocks=("stage2.block0.mbconv", "stage2.block0.mbconv.se")))
    'stage2.block0.mbconv'
    >>> block_of(NS(name="stem.conv", blocks=()))
    'stem'
    """
    stage = cost.name.split(".")[0]
    inner = [b for b in cost.blocks if b != stage]
    return inner[0] if inner else stage


def group_key(cost, layer, by: str) -> str:
    """The group of one layer: its op, block (:func:`block_of`), stage (first name part) or type."""
    if by == "op":
        return cost.op
    if by == "block":
        return block_of(cost)
    if by == "stage":
        return cost.name.split(".")[0]
    return layer_type(layer)


@dataclass
class Share:
    """The totals of one group of layers."""

    group: str
    layers: int
    macs: int
    params: int
    weights: int


def breakdown(a, by: str = "kind") -> list[Share]:
    """Group an analysis's layers and sum their MACs, params and weights, in first-seen order."""
    check_grouping(by)
    if a.symbolic:
        raise SpecError.naming("breakdown needs a numeric analysis (drop {symbolic})", "symbolic")
    groups: dict[str, Share] = {}
    for cost, layer in zip(a.layers, a.network.layers):
        key = group_key(cost, layer, by)
        s = groups.setdefault(key, Share(key, 0, 0, 0, 0))
        s.layers += 1
        s.macs += cost.macs
        s.params += cost.params
        s.weights += cost.params_by_kind.get("weights", 0)
    return list(groups.values())


def percent(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with two decimals (exact arithmetic, then rounded)."""
    if not whole:
        return "-"
    return f"{float(Fraction(part * 100, whole)):.2f}%"


def breakdown_table(a, by: str = "kind", fmt: str = "table", skip_empty: bool = True) -> str:
    """The breakdown as a table: counts and shares of MACs, params and weights, plus the total."""
    shares = breakdown(a, by)
    if skip_empty:
        shares = [s for s in shares if s.macs or s.params]
    t = a.totals
    tw = t["params_by_kind"]["weights"]
    headers = [by if by != "kind" else "layer type", "layers", "MACs", "MACs %", "params", "params %",
               "weights", "weights %"]
    rows = [[s.group, s.layers, human(s.macs), percent(s.macs, t["macs"]), human(s.params),
             percent(s.params, t["params"]), human(s.weights), percent(s.weights, tw)] for s in shares]
    raw = [[s.group, s.layers, s.macs, _frac(s.macs, t["macs"]), s.params, _frac(s.params, t["params"]),
            s.weights, _frac(s.weights, tw)] for s in shares]
    total = ["total", len(a.layers), human(t["macs"]), "100.00%", human(t["params"]), "100.00%", human(tw),
             "100.00%"]
    body = render(headers, rows + [total], fmt, raw + [["total", len(a.layers), t["macs"], 100.0,
                                                         t["params"], 100.0, tw, 100.0]])
    if fmt == "csv":
        return body
    from archcalc.report.tables import header_lines

    note = ("Shares of total MACs, of all learnable params, and of weights only (conv and linear "
            "kernels: no biases, no norm affine; the MobileNet paper's convention)."
            + (" Layers with neither MACs nor params are omitted." if skip_empty else ""))
    head = header_lines(a)
    if fmt == "latex":
        return "\n".join("% " + line for line in head + [note]) + "\n" + body + "\n"
    if fmt == "markdown":
        return "\n\n".join(["\n".join(f"{line}  " for line in head), body, f"*{note}*"]) + "\n"
    return "\n".join(head + [body, note]) + "\n"


def _frac(part: int, whole: int) -> float | None:
    return float(Fraction(part * 100, whole)) if whole else None


def plot_breakdown(a, path, by: str = "kind", skip_empty: bool = True) -> Any:
    """Bars of MACs and params per group of ``--by`` (the table's rows, in the same order).

    Groups are coloured by their stage with ``--by block`` and each by its own
    colour otherwise.
    """
    from archcalc.report.plots import conventions_caption, plot_layers

    shares = breakdown(a, by)
    if skip_empty:
        shares = [s for s in shares if s.macs or s.params]
    net = a.network
    what = "layer type" if by == "kind" else by
    title = f"{net.name}{f' [{net.variant}]' if net.variant else ''}: MACs and params per {what}"
    colours = [s.group.split(".")[0] for s in shares] if by == "block" else [s.group for s in shares]
    legend = by == "block" or len(shares) <= 12
    omitted = " Groups with neither MACs nor params are not drawn." if skip_empty else ""
    return plot_layers([s.group for s in shares], [s.macs for s in shares], [s.params for s in shares],
                       colours, title, path, conventions_caption(a.batch, a.dtype) + omitted, batch=a.batch,
                       xlabel=f"{what} (document order)", legend=legend)
