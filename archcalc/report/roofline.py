"""Render a roofline (:mod:`archcalc.roofline`): per-layer table, totals, and the log-log plot."""

from __future__ import annotations

from typing import Any

from archcalc.report.tables import human, human_bytes, render

RULES = ("lower bound per layer = max(FLOPs / peak, bytes / bandwidth); bytes = inputs + parameters read and "
         "output written at the dtype, {rule}; FLOPs in archcalc's convention (2 x MACs + elementwise work)")


def _t(s: float) -> str:
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if s >= scale:
            return f"{s / scale:.4g} {unit}"
    return "0"


def roofline_table(a: Any, r: Any, fmt: str = "table", per_layer: bool = True) -> str:
    """The ``archcalc roofline`` table and its summary lines."""
    headers = ["layer", "op", "FLOPs", "bytes", "FLOP/B", "bound", "time >="]
    rows, raw = [], []
    if per_layer:
        for lay in r.layers:
            name = lay.name + (f" (+{lay.members - 1} fused)" if lay.members > 1 else "")
            rows.append([name, lay.op, human(lay.flops), human_bytes(lay.bytes), f"{lay.intensity:.3g}", lay.bound,
                         _t(lay.time_s)])
            raw.append([lay.name, lay.op, lay.flops, lay.bytes, lay.intensity, lay.bound, lay.time_s])
    body = render(headers, rows, fmt, raw) if rows else ""
    if fmt == "csv":
        return body
    d = r.device
    compute = sum(1 for lay in r.layers if lay.bound == "compute")
    rule = "fused conv + norm + activation counted once" if r.fused else "no reuse between layers"
    lines = [f"{a.network.name}{f' [{a.network.variant}]' if a.network.variant else ''} on {d.name} ({d.description}): "
             f"batch {a.batch}, {a.dtype}; peak {human(d.peak(a.dtype))}FLOP/s, bandwidth {human_bytes(d.bandwidth)}/s, "
             f"ridge {r.ridge:.3g} FLOP/B",
             f"latency lower bound {_t(r.time_s)}: {compute} of {len(r.layers)} layers compute-bound; "
             f"{human(r.flops)} FLOPs, {human_bytes(r.bytes)} moved",
             "Roofline: " + RULES.format(rule=rule) + "."]
    sources = [f"{s.title} <{s.address}>" + ("" if s.checked else " (not re-checked)") for s in d.sources]
    if sources:
        lines.append("Device figures: " + "; ".join(sources))
    if fmt == "markdown":
        lines = ["- " + x for x in lines]
    elif fmt == "latex":
        lines = ["% " + x for x in lines]
    return "\n".join(([body] if body else []) + lines) + "\n"


def plot_roofline(a: Any, r: Any, path) -> Any:
    """Log-log roofline: one point per layer (attainable FLOP/s vs intensity), coloured by kind, ridge marked."""
    from archcalc.report.breakdown import layer_type
    from archcalc.report.plots import pyplot, save

    plt = pyplot()
    kinds = {lay.name: layer_type(lay) for lay in a.network.layers}
    peak, bw = r.device.peak(r.dtype), r.device.bandwidth
    fig, ax = plt.subplots(figsize=(8, 5.5))
    pts = [(lay.intensity, float(lay.flops) / lay.time_s, kinds[lay.name]) for lay in r.layers
           if lay.flops and lay.bytes and lay.time_s > 0]
    xs = [p[0] for p in pts] or [r.ridge]
    lo, hi = min(min(xs), r.ridge) / 4, max(max(xs), r.ridge) * 4
    ax.plot([lo, r.ridge, hi], [lo * bw, peak, peak], color="0.2", lw=1.5, label="roofline")
    ax.plot([r.ridge], [peak], "o", color="0.2")
    ax.annotate(f"ridge {r.ridge:.3g} FLOP/B", (r.ridge, peak), textcoords="offset points", xytext=(6, -14), fontsize=8)
    for i, kind in enumerate(dict.fromkeys(p[2] for p in pts)):
        sel = [p for p in pts if p[2] == kind]
        ax.scatter([p[0] for p in sel], [p[1] for p in sel], s=14, label=kind, color=plt.cm.tab10(i % 10), alpha=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / byte)")
    ax.set_ylabel("attainable FLOP/s (bound)")
    ax.set_title(f"{a.network.name}{f' [{a.network.variant}]' if a.network.variant else ''} on {r.device.name}, "
                 f"{r.dtype}, batch {a.batch}" + (" (fused)" if r.fused else ""))
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return save(fig, path)
