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
