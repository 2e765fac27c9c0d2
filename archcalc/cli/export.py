"""``archcalc export``: a spec as a readable, self-contained PyTorch file (no torch needed to write it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import Alpha, Resolution, Rho, Sets, SpecArg, Variant, overrides
from archcalc.errors import SpecError


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory (never half-written)."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(f"{path} is a directory; give a file name")
    if not path.parent.is_dir():
        raise SpecError(f"cannot write {path}: directory {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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

    text, top = source(spec, variant, overrides(set_, alpha, rho) or None, resolution)
    if output == "-":
        typer.echo(text, nl=False)
        return
    write_atomic(Path(output), text)
    typer.echo(f"wrote {output} (class {top})", err=True)
