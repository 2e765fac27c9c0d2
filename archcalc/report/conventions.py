"""Rendering of the convention presets (``archcalc conventions``) and of a comparison of two
(``archcalc explain``): results in, text out."""

from __future__ import annotations

import json
from typing import Any

from archcalc.conventions import PRESETS, QUANTITIES, Rule, get
from archcalc.report.tables import human, render

FORMATS = ("table", "markdown", "csv", "json")


def _terms(rule: Rule) -> str:
    if not rule.terms:
        return "0"
    return " + ".join(q if c == 1 else f"{c} x {q}" for q, c in rule.terms)


def presets_table(fmt: str = "table") -> str:
    """Every preset: name, unit, tool and version, what it counts, its quirks."""
    if fmt == "json":
        return json.dumps([_preset_dict(p) for p in PRESETS.values()], indent=2) + "\n"
    headers = ["preset", "unit", "tool", "version", "counts", "quirks"]
    rows = [[p.name, p.unit, p.tool, p.tool_version or "-", p.summary, " | ".join(p.quirks) or "-"]
            for p in PRESETS.values()]
    if fmt == "csv":
        return render(headers, rows, "csv")
    if fmt == "table":
        out = []
        for p in PRESETS.values():
            tool = f"{p.tool} {p.tool_version}".strip()
            out.append(f"{p.name}  [{tool}; unit: {p.unit}]")
            out.append(f"  counts: {p.summary}")
            if p.entry:
                out.append(f"  reproduces: {p.entry}")
            out += [f"  quirk: {q}" for q in p.quirks]
        return "\n".join(out) + "\n\n`archcalc conventions PRESET` lists a preset's rule for every op.\n"
    return render(headers, rows, fmt) + "\n"


def _preset_dict(p) -> dict[str, Any]:
    return {"name": p.name, "unit": p.unit, "tool": p.tool, "tool_version": p.tool_version,
            "entry": p.entry, "counts": p.summary, "quirks": list(p.quirks),
            "rules": [{"op": r.op, "impl": r.impl, "pass": r.pass_, "count": [list(t) for t in r.terms],
                       "why": r.why} for r in p.rules],
            "otherwise": p.default_why}


def preset_rules(name: str, fmt: str = "table") -> str:
    """One preset's rules, op by op, with the quantities they count."""
    p = get(name)
    if fmt == "json":
        return json.dumps(_preset_dict(p), indent=2) + "\n"
    headers = ["op", "implemented as", "pass", "counts", "why"]
    rows = [[r.op, r.impl or "any", r.pass_, _terms(r), r.why] for r in p.rules]
    rows.append(["(any other)", "any", "inference", "0", p.default_why])
    body = render(headers, rows, fmt)
    if fmt == "csv":
        return body
    used = sorted({q for r in p.rules for q, _ in r.terms})
    notes = [p.describe("preset")] + [f"{q}: {QUANTITIES[q]}" for q in used] + [f"quirk: {q}" for q in p.quirks]
    sep = "\n\n" if fmt == "markdown" else "\n"
    return sep.join([body, "\n".join(("- " + n) if fmt == "markdown" else n for n in notes)]) + "\n"


def explain(name_a: str, name_b: str, diffs: list, title: str, fmt: str = "table", top: int | None = None) -> str:
    """Where two presets' counts of one network differ, by op (with the rule of each) and by
    layer; each table's rows sum exactly to the difference of the totals."""
    from archcalc.conventions import by_rule

    pa, pb = get(name_a), get(name_b)
    total_a = sum(d.a for d in diffs)
    total_b = sum(d.b for d in diffs)
    delta = total_a - total_b
    groups = [g for g in by_rule(diffs) if g[2] != g[3]]
    layers = [d for d in diffs if d.diff != 0]
    assert sum(g[2] - g[3] for g in groups) == delta == sum(d.diff for d in layers)
    if fmt == "json":
        return json.dumps({
            "network": title, "a": _head(pa, total_a), "b": _head(pb, total_b), "difference": delta,
            "by_op": [{"op": op, "layers": n, "a": ca, "b": cb, "difference": ca - cb,
                       "rule_a": ra.why, "rule_b": rb.why, "count_a": _terms(ra), "count_b": _terms(rb)}
                      for op, n, ca, cb, ra, rb in groups],
            "by_layer": [{"layer": d.layer, "op": d.op, "a": d.a, "b": d.b, "difference": d.diff}
                         for d in layers]}, indent=2) + "\n"
    exact = fmt == "csv"

    def num(v):
        return v if exact else f"{v:,}"

    h_op = ["op", "layers", pa.name, pb.name, f"{pa.name} - {pb.name}", f"{pa.name} rule", f"{pb.name} rule"]
    op_rows = [[op, n, num(ca), num(cb), num(ca - cb), f"{_terms(ra)}: {ra.why}", f"{_terms(rb)}: {rb.why}"]
               for op, n, ca, cb, ra, rb in sorted(groups, key=lambda g: -abs(g[2] - g[3]))]
    op_rows.append(["sum", sum(g[1] for g in groups), num(sum(g[2] for g in groups)),
                    num(sum(g[3] for g in groups)), num(delta), "", ""])
    shown = sorted(layers, key=lambda d: -abs(d.diff))
    rest = []
    if top is not None and len(shown) > top:
        shown, rest = shown[:top], shown[top:]
    order = {d.layer: i for i, d in enumerate(layers)}
    shown.sort(key=lambda d: order[d.layer])
    h_layer = ["layer", "op", pa.name, pb.name, f"{pa.name} - {pb.name}"]
    layer_rows = [[d.layer, d.op, num(d.a), num(d.b), num(d.diff)] for d in shown]
    if rest:
        layer_rows.append([f"({len(rest)} other layers)", "", num(sum(d.a for d in rest)),
                           num(sum(d.b for d in rest)), num(sum(d.diff for d in rest))])
    layer_rows.append(["sum", f"{len(layers)} layers", num(sum(d.a for d in layers)),
                       num(sum(d.b for d in layers)), num(delta)])
    if fmt == "csv":  # one header: by-op rows name an op, by-layer rows a layer and its op
        headers = ["table", "layer", "op", "layers", pa.name, pb.name, f"{pa.name} - {pb.name}",
                   f"{pa.name} rule", f"{pb.name} rule"]
        rows = [["by op", ""] + r for r in op_rows]
        rows += [["by layer", r[0], r[1], "", *r[2:], "", ""] for r in layer_rows]
        return render(headers, rows, "csv")
    right = ["left", "right", "right", "right", "right", "left", "left"]
    head = [f"{title}: {pa.name} {total_a:,} vs {pb.name} {total_b:,} "
            f"(difference {delta:+,}, {human(abs(delta))})",
            f"{pa.name}: {pa.describe('preset')}", f"{pb.name}: {pb.describe('preset')}"]
    if fmt == "markdown":
        head = ["- " + line for line in head]
    sep = "\n\n" if fmt == "markdown" else "\n"
    return sep.join(["\n".join(head), "by op (the rule of each preset):",
                     render(h_op, op_rows, fmt, colalign=right), "by layer:",
                     render(h_layer, layer_rows, fmt, colalign=right[:5])]) + "\n"


def _head(p, total) -> dict[str, Any]:
    return {"name": p.name, "unit": p.unit, "tool": p.tool, "tool_version": p.tool_version, "total": total}
