"""The ``archcalc`` command line: thin typer commands over the library API.

Each command lives in its own module and registers itself on ``app``; this
module catches ``ArchcalcError`` in one place, prints ``file:line: message``
to stderr and exits with status 2 (DESIGN.md, "Bad input").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from archcalc.errors import ArchcalcError

app = typer.Typer(
    name="archcalc",
    help="Exact and symbolic params / MACs / FLOPs / memory of CNN architectures, proved by execution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _global_options(
    allow_use_dir: Annotated[Optional[list[Path]], typer.Option(
        "--allow-use-dir", metavar="DIR",
        help="Also let a spec's use: read block files in DIR (repeatable); by default only the "
             "spec's own directory (and below) and the bundled blocks.")] = None,
) -> None:
    """Exact and symbolic params / MACs / FLOPs / memory of CNN architectures, proved by execution."""
    from archcalc.spec import loader

    loader.ALLOWED_USE_DIRS[:] = list(allow_use_dir or [])


def _register_commands() -> None:
    """Import every command module of this package; each registers itself on ``app``.

    Command modules import their heavy dependencies (sympy, numba, matplotlib)
    inside the command function, so start-up stays light.
    """
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name not in ("options",) and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``archcalc`` script."""
    try:
        app(args=argv, prog_name="archcalc")
    except ArchcalcError as e:
        print(f"archcalc: {e}" if e.loc is None else str(e), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
