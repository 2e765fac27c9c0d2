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
    weights: Annotated[Optional[str], typer.Option("--weights", help="Real weights: a state_dict (.pt) or .safetensors keyed by layer names, or the .onnx file the spec was imported from.")] = None,
) -> None:
    """Execute a network on random (or --weights) weights and compare shapes, MACs, activations, params and peak memory."""
    from archcalc.report.validation import validation_report
    from archcalc.validate import parse_limit
    from archcalc.validate import validate as run_validation

    if not 0 <= seed < 2**63:
        raise SpecError(f"--seed must be an integer in [0, 2**63), got {seed}")
    limits = {"max_macs": parse_limit(max_macs, "max_macs"), "max_bytes": parse_limit(max_bytes, "max_bytes")}
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
    typer.echo(validation_report(report, fmt, per_layer))
    if not report.ok:
        raise typer.Exit(1)


def _validate_all(resolution, batch, vars_, seed: int, fmt: str, limits: dict) -> None:
    """Validate every bundled configuration; a spec's native resolution caps ``--resolution``."""
    from archcalc.cli.options import flag_for
    from archcalc.cli.progress import progress
    from archcalc.report.validation import validation_runs
    from archcalc.point import parse_size
    from archcalc.spec.expr import parse_value
    from archcalc.validate import all_configurations, validate_all

    asked = None
    if resolution is not None:
        asked = parse_size(resolution)
        if not isinstance(asked, tuple):
            try:
                asked = parse_value(asked)
            except SpecError as e:
                raise SpecError(f"--resolution: '{resolution}' is not a number ({e.message})") from None
    runs = all_configurations()
    with progress(len(runs), "validating") as advance:
        def done(o):
            advance(f"{o.name}: ERROR {o.error}" if o.report is None
                    else f"{o.name}: {o.report.summary()}  ({o.report.seconds:.2f} s)")

        outcomes = validate_all(asked, batch, vars_, seed, **limits, done=done, runs=runs, spell=flag_for)
    reports = [(o.spec, o.report) for o in outcomes if o.report is not None]
    errors = [(o.spec, o.variant, o.error) for o in outcomes if o.report is None]
    typer.echo(validation_runs(reports, errors, fmt))
    if errors:
        raise typer.Exit(2)
    if not all(r.ok for _, r in reports):
        raise typer.Exit(1)


