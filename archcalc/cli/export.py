"""``archcalc export``: a spec as a readable, self-contained PyTorch file (no torch needed to write it)."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import Alpha, Resolution, Rho, Sets, SpecArg, Variant, overrides


@app.command()
def export(
    spec: SpecArg,
    output: Annotated[str, typer.Option("--output", "-o", help="The .py file to write ('-' for stdout).")],
    variant: Variant = None,
    alpha: Alpha = None,
    rho: Rho = None,
    resolution: Resolution = None,
    set_: Sets = None,
) -> None:
    """Write the spec as PyTorch source: one nn.Module class per block, layer names as attributes."""
    from archcalc.exporters.torch_module import source
    from archcalc.io import check_writable, write_text

    if output != "-":
        check_writable(output)  # before any work
    text, top = source(spec, variant, overrides(set_, alpha, rho) or None, resolution)
    if output == "-":
        typer.echo(text, nl=False)
        return
    write_text(output, text)
    typer.echo(f"wrote {output} (class {top})", err=True)
