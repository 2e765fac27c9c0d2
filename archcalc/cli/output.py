"""Where a command's rendered output goes: stdout, or a file written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


Out = Annotated[Optional[str], typer.Option("--out", "-o", help="Write to FILE (atomically) instead of stdout.")]


def check_target(out: str | None) -> Path | None:
    """The ``--out`` path, checked before any work (archcalc.io.check_writable)."""
    if out is None:
        return None
    from archcalc.io import check_writable

    check_writable(out, "output")
    return Path(out)


def emit(text: str, out: str | None) -> None:
    """Print ``text``, or write it to ``out`` atomically (archcalc.io: temp file in the same directory, rename)."""
    path = check_target(out)
    if path is None:
        typer.echo(text, nl=False)
        return
    from archcalc.io import write_text

    write_text(path, text, "output")
    typer.echo(f"wrote {path}", err=True)
