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

CONTEXT = {"help_option_names": ["-h", "--help"]}  #: inherited by every command and group

app = typer.Typer(
    name="archcalc",
    help="Exact and symbolic params / MACs / FLOPs / memory of CNN architectures, proved by execution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _version(value: bool) -> None:
    if value:
        from archcalc import __version__

        typer.echo(f"archcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
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
        if info.name not in ("options", "progress") and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    for group in app.registered_groups:
        group.short_help = group.short_help or _first_paragraph(group.typer_instance.info.help)
    for typer_app in [app] + [g.typer_instance for g in app.registered_groups]:
        for command in typer_app.registered_commands:
            command.short_help = command.short_help or _first_paragraph(command.callback)


def _first_paragraph(callback) -> str | None:
    """A command's listing line: the first paragraph of its docstring, never cut mid-phrase
    (click's default stops at the first '.', as in "(e.g.", or after 45 characters)."""
    import inspect

    doc = callback if isinstance(callback, str) else inspect.getdoc(callback)
    return " ".join(doc.split("\n\n")[0].split()) if doc else None


_register_commands()



#: set to 1 to see the traceback of an internal error
DEBUG_ENV = "ARCHCALC_DEBUG"
INTERNAL_ERROR_EXIT = 3


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit


def _stdout_failed(e: OSError) -> None:
    """A failed write to stdout: quiet for a closed pipe (like head), one line and exit 2 otherwise."""
    import errno

    _silence_stdout()
    if e.errno == errno.EPIPE or isinstance(e, BrokenPipeError):
        sys.exit(0)
    print(f"archcalc: cannot write to standard output: {e.strerror or e}", file=sys.stderr)
    sys.exit(2)


def _run(argv: list[str] | None) -> None:
    """Run the typer app and flush stdout (a full disk shows up here); exit with the command's status.

    click's usage errors (an unknown option, ``--k abc``) become one line naming the
    command, like every other bad input (exit status 2).
    """
    try:
        status = app(args=argv, prog_name="archcalc", standalone_mode=False)
    except typer.TyperException as e:  # typer's (vendored click) usage and parameter errors
        sys.stdout.flush()
        if type(e).__name__ == "NoArgsIsHelpError":  # bare ``archcalc`` / ``archcalc prove``: the help
            e.show()
        else:
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "archcalc"
            message = " ".join(e.format_message().split()).replace("Value error, ", "")  # typer's enum wording
            hint = f" (see '{where} --help')" if getattr(e, "exit_code", 1) == 2 else ""
            print(f"{where}: {message}{hint}", file=sys.stderr)
        sys.exit(getattr(e, "exit_code", 2))
    except typer.Abort:
        sys.stdout.flush()
        sys.exit(130)
    except SystemExit:
        sys.stdout.flush()
        raise
    sys.stdout.flush()
    sys.exit(status if isinstance(status, int) and not isinstance(status, bool) else 0)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``archcalc`` script.

    Exit status: 0 success, 1 a check failed (validate), 2 bad input or an output
    that cannot be written (one line on stderr), 3 an internal error — a bug:
    one line asking for a report; ``ARCHCALC_DEBUG=1`` shows the traceback.
    """
    import os

    try:
        _run(argv)
    except ArchcalcError as e:
        from archcalc.cli.options import flag_for  # the library names settings; the user typed flags

        print(f"archcalc: {e.render(flag_for)}" if e.loc is None else e.render(flag_for), file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as e:
        if _is_stdout_error(e):
            _stdout_failed(e)
        _internal_error(e, os.environ.get(DEBUG_ENV))
    except SystemExit:
        raise
    except Exception as e:  # the last line of defence: never a bare traceback
        _internal_error(e, os.environ.get(DEBUG_ENV))


def _is_stdout_error(e: OSError) -> bool:
    """Whether ``e`` is a failed write to stdout (a closed pipe, a full disk, an I/O error)."""
    import errno
    import traceback

    if isinstance(e, BrokenPipeError) or e.errno == errno.EPIPE:
        return True
    if e.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF):
        return False
    frames = traceback.extract_tb(e.__traceback__)
    # raised by our flush of stdout or by click/typer echo
    return any(f.name in ("_run", "echo") for f in frames[-3:]) or (frames and frames[-1].name == "_run")


def _internal_error(e: BaseException, debug: str | None) -> None:
    """One line (or the traceback with ARCHCALC_DEBUG=1) and exit status 3."""
    if debug and debug not in ("0", ""):
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
    message = str(e).replace("\n", " ")[:300]
    print(f"archcalc: internal error: {type(e).__name__}: {message} -- this is a bug in archcalc; "
          f"please report it with the command line (rerun with {DEBUG_ENV}=1 for the traceback)",
          file=sys.stderr)
    sys.exit(INTERNAL_ERROR_EXIT)
