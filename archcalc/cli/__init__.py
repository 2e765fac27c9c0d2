"""The ``archcalc`` command line: thin typer commands over the library API.

Each command lives in its own module and registers itself on ``app``; this
module catches ``ArchcalcError`` in one place, prints ``file:line: message``
to stderr and exits with status 2 (DESIGN.md, "Bad input").
"""

import sys  # (no ``from __future__ import annotations``: the global options' annotations are evaluated in _make_app)

CONTEXT = {"help_option_names": ["-h", "--help"]}  #: inherited by every command and group
HELP = "Exact and symbolic params / MACs / FLOPs / memory of CNN architectures, proved by execution."

#: Every command: name -> (its module, its line in ``archcalc --help``), in the listing's order.
#: A command's module is imported only when the command runs (or its own ``--help`` is asked
#: for), so ``archcalc --help`` and ``archcalc cost`` import only what they use. The line is
#: the first paragraph of the command's docstring (a group's ``help``);
#: tests/cli/test_cli_lazy.py fails when a line or a command is missing or differs.
COMMANDS: dict[str, tuple[str, str]] = {
    "breakdown": ("breakdown", "Break a network's MACs, params and weights down by op, block, stage or layer type."),
    "conventions": ("conventions", "List the counting presets (what each counts, unit, tool version, quirks), "
                                   "or one preset's rules."),
    "compare": ("compare", "Compare networks side by side: params, MACs, FLOPs, memory and published figures "
                           "(one source per row)."),
    "cost": ("cost", "Cost a network: params, MACs, FLOPs and activation memory, per layer and in total."),
    "explain": ("explain", "Where two presets' counts differ, by op kind (which rule of each causes it) and by "
                           "layer; the rows sum exactly to the difference of the totals."),
    "export": ("export", "Write the spec as PyTorch source: one nn.Module class per block, layer names as "
                         "attributes."),
    "graph": ("graph", "Print the layer graph that was costed (DOT for Graphviz, or Mermaid)."),
    "homework": ("homework", "List the homework questions, or answer one (or --all) with its derivation."),
    "import": ("import_", "Trace a PyTorch model (torch.fx, eval mode) or read an ONNX graph, and write it as a "
                          "spec."),
    "lint": ("lint", "Flag likely spec mistakes that change params but not MACs: an if: in a block reading the "
                     "entry's in_channels, ops never built, unused block args and vars, conv biases before BN, "
                     "identical variants. One line per finding (file:line: [rule] message); exit 1 when any."),
    "report": ("report", "Regenerate the comparison tables, MobileNet grid, breakdowns, accuracy plot and "
                         "homework."),
    "roofline": ("roofline", "Per-layer roofline bound on a device: max(FLOPs/peak, bytes/bandwidth), which bound "
                             "applies, total."),
    "specs": ("specs", "List the bundled specs with their variants and vars."),
    "schema": ("specs", "Print the JSON Schema of the spec format (for editor validation)."),
    "sweep": ("sweep", "Sweep a spec over a grid of vars (e.g. MobileNet's alpha x rho grid) and tabulate every "
                       "point."),
    "validate": ("validate", "Execute a network on random (or --weights) weights and compare shapes, MACs, "
                             "activations, params and peak memory."),
    "plot": ("plot", "Draw figures (PNG, SVG or PDF)."),
    "prove": ("prove", "Derive a claim step by step; check it with sympy and against the numeric engine."),
    "devices": ("roofline", "Device profiles for the roofline: list the bundled ones, or measure this machine."),
}
NOT_COMMANDS = ("options", "output", "progress")  #: modules of this package that hold no command


def __getattr__(name: str):
    """``app``, the typer application, is made on first use: ``archcalc --version`` needs no typer."""
    if name == "app":
        return _make_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _make_app():
    if "app" in globals():
        return globals()["app"]
    from pathlib import Path
    from typing import Annotated, Optional

    import typer
    from typer.core import TyperGroup

    class LazyGroup(TyperGroup):
        """The top-level group: a command's module is imported when the command is looked up.

        ``--help`` lists :data:`COMMANDS` without importing any of them; a typo's
        "Did you mean" draws on every name.
        """

        _listing = False

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            for cmd in self.commands.values():  # (modules imported before this group was made)
                _short_helps(cmd)

        def list_commands(self, ctx):
            return list(COMMANDS) + [n for n in self.commands if n not in COMMANDS]

        def get_command(self, ctx, cmd_name):
            cmd = self.commands.get(cmd_name)
            if cmd is None and cmd_name in COMMANDS:
                if self._listing:  # the listing line only: no import
                    from typer.core import TyperCommand

                    return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][1])
                cmd = self.commands[cmd_name] = _short_helps(_load(cmd_name))
            return cmd

        def format_commands(self, ctx, formatter):
            self._listing = True
            try:
                super().format_commands(ctx, formatter)
            finally:
                self._listing = False

        def resolve_command(self, ctx, args):
            try:
                return self._click_resolve_command(ctx, args)
            except typer.TyperException as e:  # click's UsageError: suggest from every command
                from difflib import get_close_matches

                matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
                if matches and hasattr(e, "message"):
                    e.message = f"{e.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
                raise

    app = typer.Typer(
        name="archcalc",
        help=HELP,
        cls=LazyGroup,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings=CONTEXT,
    )
    globals()["app"] = app

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

    return app


def _load(name: str):
    """Import the module of command ``name`` (it registers itself on ``app``) and build its click command."""
    import importlib

    import typer.main

    app = _make_app()
    importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")
    _StartupGC.end()
    for info in app.registered_commands:
        if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:
            return typer.main.get_command_from_info(
                info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(
                group, pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode, suggest_commands=app.suggest_commands)
    raise LookupError(f"{__name__}.{COMMANDS[name][0]} registers no command '{name}'")  # pragma: no cover


class _StartupGC:
    """The garbage collector is off while the process starts (issue 16).

    Start-up (typer, pydantic, PyYAML, the command's modules, archcalc's op and spec
    classes) creates hundreds of thousands of objects and almost no garbage, yet the
    collector ran its generations over them again and again: about 6 % of ``archcalc
    cost``'s instructions. So the first :func:`main` of a process turns it off, and once the
    command's module is imported (:func:`_load`) moves everything alive into the permanent
    generation (``gc.freeze``) and turns it back on: the command itself runs with the
    collector, which no longer walks the start-up objects (nor in forked workers, which share
    them). A command that will need a big library imports it the same way first
    (:func:`startup_import`: ``import sympy`` spends an eighth of its instructions in the
    collector). Later calls of :func:`main` in the same process (tests, a library user) leave
    the collector alone; a collector its caller had turned off stays off.
    """

    _first: bool | None = None  #: None before any main; True inside the process's first main; then False
    _pending = False  #: the collector is off since this process's first ``main`` began

    @classmethod
    def begin(cls) -> None:
        import gc

        if cls._first is not None:
            return
        cls._first = True
        if gc.isenabled():
            gc.disable()
            cls._pending = True

    @classmethod
    def end(cls) -> None:
        """Start-up is over: freeze what is alive and turn the collector on again."""
        if cls._pending:
            import gc

            cls._pending = False
            gc.freeze()
            gc.enable()

    @classmethod
    def finish(cls) -> None:
        """The first ``main`` returns: anything later is not start-up."""
        cls.end()
        if cls._first:
            cls._first = False

    @classmethod
    def importing(cls, name: str):
        """Import module ``name``; as start-up (collector off, then frozen) inside the first main."""
        import gc
        import importlib

        if name in sys.modules or not cls._first or cls._pending or not gc.isenabled():
            return importlib.import_module(name)
        gc.disable()
        try:
            return importlib.import_module(name)
        finally:
            gc.freeze()
            gc.enable()


def startup_import(name: str):
    """Import module ``name`` the way start-up imports (see :class:`_StartupGC`): a command
    calls it for a big library it is about to need (``sympy`` for ``--symbolic``)."""
    return _StartupGC.importing(name)


class _NoMetadataForPydanticPlugins:
    """Import pydantic's plugin loader without ``importlib.metadata`` (issue 16).

    ``pydantic.plugin._loader`` imports ``importlib.metadata`` (email, zipfile, csv, ...:
    two thirds of ``import pydantic`` again) at its top, for the entry-point scan it runs
    when the first validator is built. ``main`` disables pydantic plugins (archcalc uses
    none), so the scan never runs. This import hook (in ``sys.meta_path`` from ``main``
    until that module is imported) runs the loader against a stand-in whose
    ``entry_points`` imports the real module should it ever be called; the stand-in is
    out of ``sys.modules`` again before anything else is imported.
    """

    NAME = "pydantic.plugin._loader"

    def find_spec(self, name, path=None, target=None):
        if name != self.NAME:
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or "importlib.metadata" in sys.modules:
            return spec
        exec_module = spec.loader.exec_module

        def exec_with_stand_in(module):
            import types

            def entry_points(**params):
                import importlib.metadata  # the real one (the stand-in is gone by then)

                return importlib.metadata.entry_points(**params)

            stub = types.ModuleType("importlib.metadata")
            stub.entry_points = entry_points
            sys.modules["importlib.metadata"] = stub
            try:
                exec_module(module)
            finally:
                if sys.modules.get("importlib.metadata") is stub:
                    del sys.modules["importlib.metadata"]

        spec.loader.exec_module = exec_with_stand_in
        return spec

    @classmethod
    def install(cls) -> None:
        if cls.NAME not in sys.modules and not any(isinstance(f, cls) for f in sys.meta_path):
            sys.meta_path.insert(0, cls())


def _short_helps(cmd):
    """Give ``cmd`` (and a group's commands) its listing line: :func:`_first_paragraph` of its help."""
    if not cmd.short_help and cmd.help:
        cmd.short_help = _first_paragraph(cmd.help)
    for sub in getattr(cmd, "commands", {}).values():
        _short_helps(sub)
    return cmd


def _first_paragraph(callback) -> str | None:
    """A command's listing line: the first paragraph of its docstring, never cut mid-phrase
    (click's default stops at the first '.', as in "(e.g.", or after 45 characters)."""
    import inspect

    doc = callback if isinstance(callback, str) else inspect.getdoc(callback)
    return " ".join(doc.split("\n\n")[0].split()) if doc else None


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
    import typer

    app = _make_app()
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

    if (sys.argv[1:] if argv is None else list(argv)) == ["--version"]:  # answered before typer loads
        from archcalc import __version__

        try:
            sys.stdout.write(f"archcalc {__version__}\n")
            sys.stdout.flush()
        except OSError as e:
            _stdout_failed(e)
        sys.exit(0)
    from archcalc.errors import ArchcalcError

    # archcalc uses no pydantic plugin; looking for them (every installed distribution's entry
    # points, through importlib.metadata) was a sixth of `archcalc cost` (issue 16)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] in ("__all__", "1", "true"):
        _NoMetadataForPydanticPlugins.install()
    _StartupGC.begin()
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
    finally:
        _StartupGC.finish()  # (also for a command that never loaded, e.g. --help or a usage error)


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
