"""Rendering of ``archcalc validate``'s results: a validation report (or many) in, text out.

Pure rendering over the results of :mod:`archcalc.validate` (read by attribute; this
module imports neither it nor the executor). Tables go through the one format registry
(:mod:`archcalc.report.formats`), JSON through its one writer, as for every other command.
"""

from __future__ import annotations

from typing import Any

from archcalc.report.formats import dumps
from archcalc.report.tables import human, human_bytes, render

LAYER_HEADERS = ["layer", "op", "static shape", "executed shape", "static MACs", "counted MACs",
                 "static acts", "observed acts", "static params", "allocated params", "static buffers",
                 "allocated buffers", "ok"]
ALL_HEADERS = ["spec", "variant", "input", "layers", "MACs", "peak bytes (pred/meas)", "params", "buffers",
               "seconds", "verdict"]


def validation_report(r: Any, fmt: str = "table", per_layer: bool = True) -> str:
    """One validation report in ``fmt``: its JSON document, or the per-layer table (unless not
    ``per_layer``) and the verdict lines; CSV is the table alone."""
    if fmt == "json":
        return dumps(r.to_dict())
    lines = []
    if per_layer:
        rows = [[c.name, c.op, _shape(c.static_shape), _shape(c.executed_shape), c.static_macs,
                 _dash(c.counted_macs), c.static_activations, _dash(c.observed_activations),
                 _total(c.static_params), _total(c.allocated_params), c.static_buffers,
                 _dash(c.allocated_buffers), "ok" if c.ok else "DIFF"]
                for c in r.layers]
        lines.append(render(LAYER_HEADERS, rows, fmt).rstrip("\n"))
        if fmt == "csv":
            return lines[0] + "\n"
    pk = r.peak
    lines += [
        f"{r.model}" + (f" variant {r.variant}" if r.variant else "")
        + f", input {_shape(r.input)}, batch {r.batch}, fp32, seed-random weights",
        f"peak live activations: predicted {pk['predicted']} B ({human_bytes(pk['predicted'])}, at "
        f"{pk['predicted_at']}), measured {pk['measured']} B"
        + (f" ({human_bytes(pk['measured'])}, at {pk['measured_at']})" if pk["measured"] is not None else ""),
        f"params {r.total_params:,} (buffers {r.buffers['static']:,}, not params)",
        "params by kind: static " + _kinds(r.params["static"]) + "; allocated " + _kinds(r.params["allocated"]),
        f"buffers: static {r.buffers['static']}, allocated {r.buffers['allocated']}",
        f"{r.summary()}  ({r.seconds:.2f} s)",
    ]
    return "\n".join(lines)


def validation_runs(reports: list[tuple[str, Any]], errors: list[tuple[str, str | None, str]],
                    fmt: str = "table") -> str:
    """Many configurations (``validate --all``): ``reports`` as (spec name, report), ``errors``
    as (spec name, variant, message). JSON: ``{ok, runs, errors}``; otherwise one row per
    configuration, then the first difference of each failing one and the count that agree."""
    if fmt == "json":
        ok = all(r.ok for _, r in reports) and not errors
        return dumps({"ok": ok, "runs": [dict(r.to_dict(), spec=s) for s, r in reports],
                      "errors": [{"spec": s, "variant": v, "error": m} for s, v, m in errors]})
    rows = []
    for spec, r in reports:
        macs = sum(c.static_macs for c in r.layers)
        counted = sum(c.counted_macs or 0 for c in r.layers)
        rows.append([spec, r.variant or "-", _shape(r.input), len(r.layers),
                     human(macs) if macs == counted else f"{macs} vs {counted}",
                     f"{r.peak['predicted']}/{r.peak['measured']}",
                     str(r.total_params), str(r.buffers["static"]), f"{r.seconds:.2f}",
                     "ok" if r.ok else "MISMATCH"])
    rows += [[spec, variant or "-", "-", "-", "-", "-", "-", "-", "-", "ERROR"] for spec, variant, _ in errors]
    lines = [render(ALL_HEADERS, rows, fmt).rstrip("\n")]
    lines += [f"{spec} {r.variant or ''}: {r.summary()}" for spec, r in reports if not r.ok]
    lines += [f"{spec} {variant or ''}: {msg}" for spec, variant, msg in errors]
    good = sum(r.ok for _, r in reports)
    total_s = sum(r.seconds for _, r in reports)
    lines.append(f"{good}/{len(reports) + len(errors)} configurations agree ({total_s:.1f} s executing, summed over the configurations)")
    return "\n".join(lines)


def _shape(shape) -> str:
    return "-" if shape is None else "x".join(str(d) for d in shape)


def _total(d) -> str:
    return "-" if d is None else str(sum(d.values()))


def _dash(v) -> Any:
    return "-" if v is None else v


def _kinds(d: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"
