"""``archcalc export``: a spec as a readable, self-contained PyTorch file (no torch needed to write it)."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import PointArgs, SpecArg, point_command


@point_command(app, omit=("input", "batch", "dtype"))
def export(
    spec: SpecArg,
    output: Annotated[str, typer.Option("--output", "-o", help="The .py file to write ('-' for stdout).")],
    point: PointArgs,
) -> None:
    """Write the spec as PyTorch source: one nn.Module class per block, layer names as attributes."""
    from archcalc.exporters.torch_module import source
    from archcalc.io import check_writable, write_text

    if output != "-":
        check_writable(output)  # before any work
    path, at = point.at(spec)
    text, top = source(path, at["variant"], at["vars"] or None, at["resolution"])
    if output == "-":
        typer.echo(text, nl=False)
        return
    write_text(output, text)
    typer.echo(f"wrote {output} (class {top})", err=True)
