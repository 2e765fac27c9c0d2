"""Progress of long commands (``validate --all``, ``sweep``, ``compare``, ``report``) on stderr.

Only when stderr is a terminal: a rich progress bar, and each finished row printed above it
as it arrives (the rows stream). stdout, JSON and files are never touched, so they stay
byte-stable whatever the terminal; with stderr redirected nothing extra is written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Advance = Callable[[str | None], None]  #: ``advance(line)``: one item done; ``line`` streamed if given


def interactive(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default: stderr) is a terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress(total: int | None, label: str, stream: TextIO | None = None) -> Iterator[Advance]:
    """``with progress(n, "validating") as advance: ... advance("resnet 50: ok")``.

    Draws nothing (and imports nothing) unless ``stream`` (default stderr) is a terminal.
    ``total`` None: an indeterminate bar.
    """
    stream = stream if stream is not None else sys.stderr
    if not interactive(stream):
        yield lambda line=None: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(line: str | None = None) -> None:
            if line:
                bar.console.print(line, markup=False)
            bar.advance(task)

        yield advance
