"""Render a training cost (:mod:`archcalc.training`): per-layer table and totals, or JSON records."""

from __future__ import annotations

from typing import Any

from archcalc.report.tables import expr_str, human, human_bytes, render

#: the training rules in one sentence (docs/conventions.md, "Training")
TRAINING_DEF = ("training MACs = forward + backward MACs of conv and linear layers (weight gradient and input "
                "gradient, groups counted right; no input gradient for layers fed by the network input); "
                "training FLOPs = 2 x training MACs + forward and backward elementwise work; saved activations "
                "in PyTorch eager's convention (each storage once; parameters and BN running stats excluded)")


def _c(v: Any, fmt: str, sym: bool) -> str:
    return expr_str(v, fmt) if sym else human(v)


def _b(v: Any, fmt: str, sym: bool) -> str:
    return expr_str(v, fmt) if sym else human_bytes(v)


def training_section(a: Any, t: Any, fmt: str, per_layer: bool = True, selected: list | None = None) -> str:
    """The ``cost --training`` section: a per-layer table (optional) and the totals with the rules."""
    sym = a.symbolic
    names = {c.name for c in selected} if selected else None
    out = []
    if per_layer or selected:
        headers = ["layer", "fwd MACs", "bwd MACs", "train MACs", "train FLOPs", "saved act."]
        rows, raw = [], []
        for lay in t.layers:
            if names is not None and lay.name not in names:
                continue
            rows.append([lay.name, _c(lay.forward_macs, fmt, sym), _c(lay.backward_macs, fmt, sym),
                         _c(lay.macs, fmt, sym), _c(lay.flops, fmt, sym), _b(lay.saved_bytes, fmt, sym)])
            raw.append([lay.name, lay.forward_macs, lay.backward_macs, lay.macs, lay.flops, lay.saved_bytes])
        body = render(headers, rows, fmt, raw, ["left"] + ["left" if sym else "right"] * 5)
        if fmt == "csv":
            return body
        out.append(body)
    tt, m = t.totals, t.totals["memory"]
    lines = [f"training (batch {a.batch}, {a.dtype}, optimizer {tt['optimizer']}): MACs {_c(tt['macs'], fmt, sym)} "
             f"(backward {_c(tt['backward_macs'], fmt, sym)}), FLOPs {_c(tt['flops'], fmt, sym)}",
             f"training memory: params {_b(m['params'], fmt, sym)}, grads {_b(m['grads'], fmt, sym)}, optimizer "
             f"{_b(m['optimizer'], fmt, sym)}, saved activations {_b(m['saved_activations'], fmt, sym)}, "
             f"peak estimate {_b(m['peak'], fmt, sym)} (params + grads + optimizer + saved + largest output and "
             "its gradient)",
             "Training: " + TRAINING_DEF + "."]
    if not sym:
        lines.insert(1, f"exact: training MACs {tt['macs']:,}, FLOPs {tt['flops']:,}, saved activation bytes "
                        f"{tt['saved_activation_bytes']:,}")
    if fmt == "markdown":
        lines = ["- " + line for line in lines]
    elif fmt == "latex":
        lines = ["% " + line for line in lines]
    return "\n".join(out + lines) + "\n"


def training_json(doc: dict, t: Any, jsonable) -> dict:
    """Add ``training`` to a cost JSON document's totals and layer records."""
    tt = t.totals
    doc["totals"]["training"] = jsonable({
        "macs": tt["macs"], "backward_macs": tt["backward_macs"], "flops": tt["flops"],
        "flops_by_kind": tt["flops_by_kind"], "saved_activation_bytes": tt["saved_activation_bytes"],
        "optimizer": tt["optimizer"], "memory": tt["memory"]})
    by_name = {lay.name: lay for lay in t.layers}
    for rec in doc["layers"]:
        lay = by_name[rec["name"]]
        rec["training"] = jsonable({"macs": lay.macs, "backward_macs": lay.backward_macs, "flops": lay.flops,
                                    "flops_by_kind": lay.flops_by_kind,
                                    "saved_activation_bytes": lay.saved_bytes})
    return doc
