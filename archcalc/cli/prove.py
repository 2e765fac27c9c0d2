"""``archcalc prove CLAIM``: symbolic derivations checked by sympy and by the numeric engine."""

from __future__ import annotations

from typing import Annotated, Any, Callable, Optional

import typer

from archcalc.cli import app
from archcalc.cli.options import check_format

prove_app = typer.Typer(help="Derive a claim step by step; check it with sympy and against the numeric engine.",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(prove_app, name="prove")

ProofFormat = Annotated[str, typer.Option("--format", "-f", help="text, markdown, latex or json.")]
SpecOpt = Annotated[Optional[str], typer.Option("--spec", help="Spec file or bundled name.")]
VariantOpt = Annotated[Optional[str], typer.Option("--variant", "-v", help="Variant of the spec.")]


def _emit(make: Callable[[], Any], fmt: str) -> None:
    """Check ``fmt`` first (a derivation can take seconds), then derive with ``make()`` and print it."""
    from archcalc.proofs.proof import FORMATS, render

    check_format(fmt, FORMATS)
    typer.echo(render(make(), fmt), nl=False)


@prove_app.command("dsc")
def dsc(spec: SpecOpt = None,
        layer: Annotated[Optional[str], typer.Option("--layer", help="A depthwise conv (or its block) in --spec.")] = None,
        k: Annotated[int, typer.Option("--k", help="Kernel size for the typical value.")] = 3,
        n: Annotated[int, typer.Option("--n", help="Output channels for the typical value.")] = 512,
        training: Annotated[bool, typer.Option("--training", help="Also derive the ratio for forward + backward.")] = False,
        fmt: ProofFormat = "text") -> None:
    """Depthwise separable vs standard convolution: the ratio 1/N + 1/k²."""
    from archcalc.errors import SpecError
    from archcalc.proofs.dsc import prove_dsc

    if layer is not None and spec is None:
        raise SpecError("--layer needs --spec (the spec the layer belongs to)")
    if spec is not None and layer is None:
        raise SpecError("--spec needs --layer (a depthwise conv or the block holding it)")
    _emit(lambda: prove_dsc(spec, layer, k, n, training), fmt)


@prove_app.command("compound-scaling")
def compound_scaling(
    spec: SpecOpt = None,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Grid search: |α·β²·γ² − 2| ≤ tolerance.")] = 0.05,
    step: Annotated[float, typer.Option("--step", help="Grid search step for α, β, γ.")] = 0.05,
    fmt: ProofFormat = "text",
) -> None:
    """Why compound scaling grows FLOPs by about 2^φ, and how EfficientNet B0…B7 deviate."""
    from archcalc.proofs.compound import DEFAULT_SPEC, prove_compound

    _emit(lambda: prove_compound(spec or DEFAULT_SPEC, tolerance, step), fmt)


@prove_app.command("width-multiplier")
def width_multiplier(spec: SpecOpt = None, variant: VariantOpt = None,
                     symbol: Annotated[Optional[str], typer.Option("--symbol", help="The width var (default: width_mult, widen, alpha, ...).")] = None,
                     fmt: ProofFormat = "text") -> None:
    """Cost and params as an exact polynomial in the width multiplier; the quadratic share."""
    from archcalc.proofs.multipliers import prove_multiplier

    _emit(lambda: prove_multiplier("width", spec or "mobilenet", variant, symbol), fmt)


@prove_app.command("resolution-multiplier")
def resolution_multiplier(spec: SpecOpt = None, variant: VariantOpt = None,
                          symbol: Annotated[Optional[str], typer.Option("--symbol", help="The resolution var (default: rho or resolution).")] = None,
                          fmt: ProofFormat = "text") -> None:
    """Cost as an exact polynomial in the resolution multiplier; the quadratic share."""
    from archcalc.proofs.multipliers import prove_multiplier

    _emit(lambda: prove_multiplier("resolution", spec or "mobilenet", variant, symbol), fmt)
