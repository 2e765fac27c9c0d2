"""Where a command's rendered output goes: stdout, or a file written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from archcalc.errors import SpecError


Out = Annotated[Optional[str], typer.Option("--out", "-o", help="Write to FILE (atomically) instead of stdout.")]


def check_target(out: str | None) -> Path | None:
    """The ``--out`` path, checked before any work: its directory exists and is writable."""
    if out is None:
        return None
    path = Path(out)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SpecError(f"--out {out}: is a directory; name a file")
    if not parent.is_dir():
        raise SpecError(f"--out {out}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise SpecError(f"--out {out}: directory {parent} is not writable")
    return path


def emit(text: str, out: str | None) -> None:
    """Print ``text``, or write it to ``out`` (temp file in the same directory, then rename)."""
    path = check_target(out)
    if path is None:
        typer.echo(text, nl=False)
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; a plain open() would honour the umask
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise SpecError(f"--out {out}: cannot write ({e.strerror})") from None
    typer.echo(f"wrote {path}", err=True)
