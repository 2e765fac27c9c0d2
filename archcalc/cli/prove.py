"""``archcalc prove CLAIM``: symbolic derivations checked by sympy and by the numeric engine."""

from __future__ import annotations

from typing import Annotated, Any, Callable, Optional

import typer

from archcalc.cli import app, startup_import
from archcalc.cli.options import format_option
from archcalc.point import split_spec
from archcalc.proofs.proof import FORMATS as PROOF_FORMATS

prove_app = typer.Typer(help="Derive a claim step by step; check it with sympy and against the numeric engine.",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(prove_app, name="prove")

ProofFormat = format_option(*PROOF_FORMATS, help="Output format (table: plain text).")
SpecOpt = Annotated[Optional[str], typer.Option("--spec", metavar="SPEC", help="Spec file or bundled name.")]
SpecVariantOpt = Annotated[Optional[str], typer.Option(
    "--spec", metavar="SPEC[:VARIANT]", help="Spec file or bundled name; SPEC:VARIANT picks a variant.")]
VariantOpt = Annotated[Optional[str], typer.Option("--variant", "-v", help="Variant of the spec.")]


def _emit(make: Callable[[], Any], fmt: str) -> None:
    """Derive with ``make()`` and print it (``fmt`` was checked by the option: before the derivation)."""
    from archcalc.proofs.proof import render

    startup_import("sympy")
    typer.echo(render(make(), fmt), nl=False)


def _spec_variant(spec: str | None, variant: str | None) -> tuple[str | None, str | None]:
    """``--spec SPEC:VARIANT`` or ``--spec SPEC --variant VARIANT`` -> (spec, variant)."""
    if spec is None:
        return None, variant
    path, v = split_spec(spec)
    if v is not None and variant is not None and v != variant:
        from archcalc.errors import SpecError

        raise SpecError(f"--spec {spec} and --variant {variant} name two variants; give one")
    return path, v or variant


@prove_app.command("dsc")
def dsc(spec: SpecOpt = None,
        layer: Annotated[Optional[str], typer.Option("--layer", help="A depthwise conv (or its block) in --spec.")] = None,
        k: Annotated[int, typer.Option("--k", help="Kernel size for the typical value.")] = 3,
        n: Annotated[int, typer.Option("--n", help="Output channels for the typical value.")] = 512,
        training: Annotated[bool, typer.Option("--training", help="Also derive the ratio for forward + backward.")] = False,
        fmt: ProofFormat = "table") -> None:
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
    fmt: ProofFormat = "table",
) -> None:
    """Why compound scaling grows FLOPs by about 2^φ, and how EfficientNet B0…B7 deviate."""
    from archcalc.proofs.compound import DEFAULT_SPEC, prove_compound

    _emit(lambda: prove_compound(spec or DEFAULT_SPEC, tolerance, step), fmt)


@prove_app.command("width-multiplier")
def width_multiplier(spec: SpecVariantOpt = None, variant: VariantOpt = None,
                     symbol: Annotated[Optional[str], typer.Option("--symbol", help="The width var (default: width_mult, widen, alpha, ...).")] = None,
                     fmt: ProofFormat = "table") -> None:
    """Cost and params as an exact polynomial in the width multiplier; the quadratic share."""
    from archcalc.proofs.multipliers import prove_multiplier

    spec, variant = _spec_variant(spec, variant)
    _emit(lambda: prove_multiplier("width", spec or "mobilenet", variant, symbol), fmt)


@prove_app.command("resolution-multiplier")
def resolution_multiplier(spec: SpecVariantOpt = None, variant: VariantOpt = None,
                          symbol: Annotated[Optional[str], typer.Option("--symbol", help="The resolution var (default: rho or resolution).")] = None,
                          fmt: ProofFormat = "table") -> None:
    """Cost as an exact polynomial in the resolution multiplier; the quadratic share."""
    from archcalc.proofs.multipliers import prove_multiplier

    spec, variant = _spec_variant(spec, variant)
    _emit(lambda: prove_multiplier("resolution", spec or "mobilenet", variant, symbol), fmt)
