"""``archcalc validate``: run a spec on the CPU and check the static model, layer by layer.

Exit status: 0 when everything agrees, 1 when anything differs (the first
differing layer is named), 2 for bad input. numba is imported only inside the
command, so ``archcalc cost`` stays fast.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.options import Format, PointArgs, point_command
from archcalc.errors import SpecError
from archcalc.report.formats import dumps

LAYER_HEADERS = ["layer", "op", "static shape", "executed shape", "static MACs", "counted MACs",
                 "static acts", "observed acts", "static params", "allocated params", "static buffers",
                 "allocated buffers", "ok"]
ALL_HEADERS = ["spec", "variant", "input", "layers", "MACs", "peak bytes (pred/meas)", "params", "buffers",
               "seconds", "verdict"]


@point_command(app, omit=("dtype",))
def validate(
    spec: Annotated[str | None, typer.Argument(
        metavar="[SPEC[:VARIANT]]", help="Spec file or bundled spec name; SPEC:VARIANT picks a variant.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every bundled spec and variant.")] = False,
    point: PointArgs = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random weights and input (0 or more).")] = 0,
    max_macs: Annotated[str, typer.Option("--max-macs", help="Refuse to execute more MACs than this (e.g. 100G, 1e12, none).")] = "100G",
    max_bytes: Annotated[str, typer.Option("--max-bytes", help="Refuse to execute when the estimated memory exceeds this (e.g. 4Gi, none).")] = "4Gi",
    per_layer: Annotated[bool, typer.Option("--per-layer/--summary", help="Show every layer, or the verdict only.")] = True,
    fmt: Format = "table",
    weights: Annotated[Optional[str], typer.Option("--weights", help="Real weights: a state_dict (.pt) or .safetensors keyed by layer names.")] = None,
) -> None:
    """Execute a network on random (or --weights) weights and compare shapes, MACs, activations, params and peak memory."""
    from archcalc.validate import parse_limit
    from archcalc.validate import validate as run_validation

    if not 0 <= seed < 2**63:
        raise SpecError(f"--seed must be an integer in [0, 2**63), got {seed}")
    limits = {"max_macs": parse_limit(max_macs, "--max-macs"), "max_bytes": parse_limit(max_bytes, "--max-bytes")}
    if all_ == (spec is not None):
        raise SpecError("give either a SPEC or --all (not both, not neither)")
    if all_:
        if point.variant is not None:
            raise SpecError("--variant cannot be combined with --all (every variant is validated)")
        if weights is not None:
            raise SpecError("--weights cannot be combined with --all (weights fit one spec)")
        _validate_all(point.size(), point.batch, point.overrides(), seed, fmt, limits)
        return
    path, at = point.at(spec)
    report = run_validation(path, at["variant"], at["vars"], at["resolution"], at["batch"], seed, **limits,
                            weights=weights)
    if fmt == "json":
        typer.echo(dumps(report.to_dict()))
    else:
        typer.echo(_report_text(report, fmt, per_layer))
    if not report.ok:
        raise typer.Exit(1)


def _validate_all(resolution, batch, vars_, seed: int, fmt: str, limits: dict) -> None:
    """Validate every bundled configuration; a spec's native resolution caps ``--resolution``."""
    from archcalc.errors import ArchcalcError
    from archcalc.validate import configurations, native_resolution
    from archcalc.validate import validate as run_validation
    from archcalc.cli.progress import progress
    from archcalc.point import parse_size
    from archcalc.spec.expr import parse_value
    from archcalc.spec.loader import bundled_specs

    asked = None
    if resolution is not None:
        asked = parse_size(resolution)
        if not isinstance(asked, tuple):
            try:
                asked = parse_value(asked)
            except SpecError as e:
                raise SpecError(f"--resolution: '{resolution}' is not a number ({e.message})") from None
    runs = [(path, variant) for path in bundled_specs() for variant in configurations(path)]
    reports, errors = [], []
    with progress(len(runs), "validating") as advance:
        for path, variant in runs:
            name = f"{path.stem} {variant or ''}".rstrip()
            try:
                res = None if asked is None else _capped(asked, native_resolution(path, variant))
                r = run_validation(path, variant, vars_, res, batch, seed, **limits)
                reports.append((path.stem, r))
                advance(f"{name}: {r.summary()}  ({r.seconds:.2f} s)")
            except ArchcalcError as e:
                errors.append((path.stem, variant, str(e)))
                advance(f"{name}: ERROR {e}")
    ok = all(r.ok for _, r in reports) and not errors
    if fmt == "json":
        typer.echo(dumps({"ok": ok, "runs": [dict(r.to_dict(), spec=s) for s, r in reports],
                               "errors": [{"spec": s, "variant": v, "error": m} for s, v, m in errors]},
                              indent=2))
    else:
        typer.echo(_all_text(reports, errors, fmt))
    if errors:
        raise typer.Exit(2)
    if not ok:
        raise typer.Exit(1)


def _capped(asked, native):
    """``--resolution`` capped by a spec's native input height (each of H, W for ``HxW``)."""
    if isinstance(asked, tuple):
        return tuple(min(d, native) for d in asked)
    return min(asked, native)


def _shape(shape) -> str:
    return "-" if shape is None else "x".join(str(d) for d in shape)


def _total(d) -> str:
    return "-" if d is None else str(sum(d.values()))


def _report_text(r, fmt: str, per_layer: bool) -> str:
    """The per-layer table and the verdict lines of one report."""
    from archcalc.report.tables import human_bytes, render

    lines = []
    if per_layer:
        rows = [[c.name, c.op, _shape(c.static_shape), _shape(c.executed_shape), c.static_macs,
                 "-" if c.counted_macs is None else c.counted_macs, c.static_activations,
                 "-" if c.observed_activations is None else c.observed_activations,
                 _total(c.static_params), _total(c.allocated_params), c.static_buffers,
                 "-" if c.allocated_buffers is None else c.allocated_buffers, "ok" if c.ok else "DIFF"]
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


def _kinds(d: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"


def _all_text(reports, errors, fmt: str) -> str:
    """One row per configuration, then the first difference of each failing one."""
    from archcalc.report.tables import human, render

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
    lines.append(f"{good}/{len(reports) + len(errors)} configurations agree ({total_s:.1f} s executing)")
    return "\n".join(lines)
