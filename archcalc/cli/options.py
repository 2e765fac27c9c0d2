"""Options shared by the commands, declared once, and their conversion to API arguments.

The point options (where a spec is evaluated: ``--variant``, ``--set``, ``--resolution``,
``--input``, ``--batch``, ``--dtype`` and a ``--VAR VALUE`` shorthand for each var of the
spec) are declared here and added to a command by :func:`point_command`; the command
receives them as one :class:`PointArgs`. The shorthands are not a fixed list: any
``--NAME VALUE`` that is not one of the command's options is taken as ``--set NAME=VALUE``
and must name a var of the spec (``--alpha`` for MobileNet, ``--phi`` for EfficientNet);
otherwise the error names the spec's vars.

The library reports a bad value as a :class:`~archcalc.errors.SettingError` naming the
setting (``var alpha``, ``batch``); :meth:`PointArgs.blame` says which flag it came from.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperCommand

try:  # typer >= 0.2x runs on its own copy of click
    from typer._click import core as click_core
    from typer._click import exceptions as click_exceptions
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer on the installed click
    from click import core as click_core
    from click import exceptions as click_exceptions
    from click.globals import get_current_context

from archcalc.errors import SettingError, SpecError
from archcalc.memory import DTYPE_BYTES
from archcalc.point import parse_size, split_spec
from archcalc.report import formats

TABLE_FORMATS = formats.names()  #: every table command (the format registry, archcalc.report.formats)
DTYPES = tuple(DTYPE_BYTES)
SHORTHANDS = "archcalc.shorthands"  #: ctx.meta key of the ``--VAR VALUE`` pairs
SUGGEST = "archcalc.suggest"  #: ctx.meta key: {--flag: the command's option it is probably a typo of}


def choice(name: str, *values: str) -> type[StrEnum]:
    """A fixed set of values (a ``StrEnum``: its members are the strings themselves), so
    ``--help`` lists them and anything else is a usage error naming them."""
    return StrEnum(name, {v: v for v in values})


def format_option(*names: str, help: str = "Output format.") -> Any:
    """``--format/-f`` with exactly ``names`` as choices."""
    return Annotated[choice("Format", *names), typer.Option("--format", "-f", help=help)]


SpecArg = Annotated[str, typer.Argument(
    metavar="SPEC[:VARIANT]",
    help="Spec file, or the name of a bundled spec (e.g. mobilenet); SPEC:VARIANT picks a variant (resnet:50).")]
Format = format_option(*TABLE_FORMATS)
TableFormat = format_option(*TABLE_FORMATS[:-1])  #: text formats only (no JSON)
PageFormat = format_option(*formats.names(pages=True))  #: cost, compare, sweep: also a self-contained HTML page
Caption = Annotated[Optional[str], typer.Option("--caption", help="With --format latex: a table float with this \\caption.")]
Label = Annotated[Optional[str], typer.Option("--label", help="With --format latex: the float's \\label (e.g. tab:mobilenet).")]
#: cost, compare, sweep: which published figures to show
Source = Annotated[Optional[str], typer.Option(
    "--source", help="Published figures from this source only: a source key (howard2017, torchvision, "
                     "tf-slim ...; `archcalc specs SPEC` lists them) or a class, published-paper or "
                     "official-implementation. Default: per row, the spec's own paper first, then other "
                     "papers, then official implementations.")]

Variant = Annotated[Optional[str], typer.Option(
    "--variant", "-v", metavar="NAME", help="Variant name (see `archcalc specs`), or SPEC:VARIANT.")]
Sets = Annotated[Optional[list[str]], typer.Option(
    "--set", "-s", metavar="VAR=VALUE",
    help="Set a var of the spec: an exact number (3/4), an expression, true or false (repeatable).")]
Resolution = Annotated[Optional[str], typer.Option(
    "--resolution", "-r", metavar="R|HxW",
    help="Input size: R (sets var `resolution` where the spec has it, else H and W) or HxW, e.g. 224x160.")]
Input = Annotated[Optional[str], typer.Option(
    "--input", metavar="CxHxW", help="The input tensor (without batch), e.g. 3x224x160.")]
Batch = Annotated[str, typer.Option("--batch", "-b", metavar="N", help="Batch size (a positive integer).")]
Dtype = Annotated[choice("Dtype", *DTYPES), typer.Option("--dtype", help="Bytes per activation element.")]

# Sweep: the same options, each a comma-separated list (one axis of the grid).
SweepVariant = Annotated[Optional[str], typer.Option(
    "--variant", "-v", metavar="NAMES", help="Variants to sweep, e.g. b0,b1,b2.")]
SweepSets = Annotated[Optional[list[str]], typer.Option(
    "--set", "-s", metavar="VAR=LIST", help="VAR=LIST (repeatable); lists split on top-level commas.")]
SweepResolution = Annotated[Optional[str], typer.Option(
    "--resolution", "-r", metavar="SIZES", help="Input sizes, e.g. 160,192,224 or 224x160,192x128.")]

SHORTHAND_HELP = ("Every var of the spec is also an option: --VAR VALUE is --set VAR=VALUE (MobileNet: "
                  "--alpha 3/4 --rho 6/7; EfficientNet: --phi 2). `archcalc specs` lists each spec's vars.")
SWEEP_SHORTHAND_HELP = ("Every var of the spec is also an option: --VAR LIST is --set VAR=LIST "
                        "(MobileNet: --alpha 1,0.75,0.5,0.25 --rho 1,6/7,5/7,4/7).")

#: name in PointArgs -> (function parameter, annotation, default); one table, every command
_POINT_PARAMS: dict[str, tuple[str, Any, Any]] = {
    "variant": ("variant", Variant, None),
    "sets": ("set_", Sets, None),
    "resolution": ("resolution", Resolution, None),
    "input": ("input_", Input, None),
    "batch": ("batch", Batch, "1"),
    "dtype": ("dtype", Dtype, "fp32"),
}
_SWEEP_PARAMS = {"variant": SweepVariant, "sets": SweepSets, "resolution": SweepResolution}


@dataclass
class PointArgs:
    """The point options as typed; :meth:`at` turns them into ``analyze`` keyword arguments."""

    variant: str | None = None
    sets: list[str] | None = None
    resolution: str | None = None
    input: str | None = None
    batch: str = "1"
    dtype: str = "fp32"
    shorthands: list[tuple[str, str]] = field(default_factory=list)  #: (--flag as typed, value)
    suggest: dict[str, str] = field(default_factory=dict)  #: --flag -> a close option of the command

    def overrides(self) -> dict[str, str]:
        """``--set NAME=VALUE`` pairs plus the ``--VAR VALUE`` shorthands, values unparsed."""
        from archcalc.point import parse_overrides

        out = parse_overrides(self.sets)  # (a var set twice is an error)
        typed: dict[str, str] = {}
        for flag, value in self.shorthands:
            name = var_name(flag)
            if name in typed:
                raise SpecError(f"{typed[name]} and {flag} {value} both set '{name}'; give one")
            if name in out:
                raise SpecError(f"{flag} {value} and --set {name}={out[name]} both set '{name}'; give one")
            typed[name] = f"{flag} {value}"
            out[name] = value
        return out

    def size(self) -> str | None:
        """``--resolution`` or ``--input`` (one of them), as the library's ``resolution=``."""
        if self.resolution is not None and self.input is not None:
            raise SpecError("give either --resolution (HxW) or --input (CxHxW), not both")
        if self.input is not None:
            if not isinstance(parse_size(self.input), tuple) or len(parse_size(self.input)) != 3:
                raise SpecError(f"--input: '{self.input}' is not CxHxW (e.g. 3x224x160)")
            return self.input
        if self.resolution is not None:
            size = parse_size(self.resolution)
            if isinstance(size, tuple) and len(size) != 2:
                raise SpecError(f"--resolution: '{self.resolution}' is R or HxW (CxHxW is --input)")
        return self.resolution

    def at(self, spec: str) -> tuple[str, dict[str, Any]]:
        """``SPEC[:VARIANT]`` and these options -> (spec, keyword arguments of ``api.analyze``)."""
        path, variant = split_spec(spec)
        if variant is not None and self.variant is not None and variant != self.variant:
            raise SpecError(f"{spec} and --variant {self.variant} name two variants; give one")
        return path, {"variant": variant or self.variant, "vars": self.overrides(),
                      "resolution": self.size(), "batch": self.batch, "dtype": self.dtype}

    def flag(self, setting: str) -> str:
        """The flag the user typed for a library setting (``var alpha`` -> ``--alpha``)."""
        if setting.startswith("var "):
            name = setting[4:]
            for flag, _ in self.shorthands:
                if var_name(flag) == name:
                    return flag
            for item in self.sets or []:
                if item.partition("=")[0].strip() == name:
                    return f"--set {item.strip()}"
            if name == "resolution":
                return "--input" if self.input is not None else "--resolution"
            return f"var {name}"
        if setting == "resolution" and self.input is not None:
            return "--input"
        return flag_for(setting)

    @contextmanager
    def blame(self) -> Iterator[None]:
        """Re-raise a library :class:`SettingError` as the flag's error (``--alpha: ...``)."""
        try:
            yield
        except SettingError as e:
            flag, text = self.flag(e.setting), e.spelled(self.flag)
            if "has no var" in e.detail and any(f == flag for f, _ in self.shorthands):
                near = self.suggest.get(flag)
                text += f"; {flag} is no option of this command either" + (
                    f" (did you mean {near}?)" if near else " (see --help)")
            raise SpecError(text) from None


#: library settings (parameter names) whose flag is not ``--`` and the name with dashes
FLAGS = {"sets": "--set", "args": "--arg", "allow_use": "--allow-use-dir", "input_shape": "--input"}


def flag_for(setting: str) -> str:
    """The flag of a setting the library names (errors.ArchcalcError.spelled): ``max_bytes`` ->
    ``--max-bytes``, ``sets`` -> ``--set``; a ``var NAME`` (no flag of its own here) stays as it is.

    >>> flag_for("max_bytes"), flag_for("sets"), flag_for("var alpha")
    ('--max-bytes', '--set', 'var alpha')
    """
    if setting in FLAGS:
        return FLAGS[setting]
    return "--" + setting.replace("_", "-") if setting.isidentifier() else setting


def var_name(flag: str) -> str:
    """``--stride-on-1x1`` -> ``stride_on_1x1`` (vars are written with underscores)."""
    return flag.lstrip("-").replace("-", "_")


class PointCommand(TyperCommand):
    """A command whose unknown ``--NAME VALUE`` options are var shorthands (kept in ``ctx.meta``)."""

    def parse_args(self, ctx: click_core.Context, args: list[str]) -> list[str]:
        params = self.get_params(ctx)
        takes_value = {o for p in params if p.param_type_name == "option"
                       and not getattr(p, "is_flag", False) and not getattr(p, "count", False) for o in p.opts}
        known = {o for p in params for o in (*p.opts, *p.secondary_opts)}
        rest: list[str] = []
        shorthands: list[tuple[str, str]] = []
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--":
                rest += args[i:]
                break
            name, eq, value = a.partition("=")
            if a.startswith("--") and len(name) > 2 and name not in known:
                near = difflib.get_close_matches(name, sorted(o for o in known if o.startswith("--")), 1, 0.75)
                if near:
                    ctx.meta.setdefault(SUGGEST, {})[name] = near[0]
                if not eq:
                    if i + 1 >= len(args) or re.match(r"-[A-Za-z-]", args[i + 1]):  # no value: -1 is one
                        hint = f"did you mean {near[0]}? " if near else ""
                        raise click_exceptions.UsageError(
                            f"no such option {a} ({hint}--VAR VALUE would set a var of the spec)", ctx)
                    value = args[i + 1]
                    i += 1
                shorthands.append((name, value))
            else:
                rest.append(a)
                if a in takes_value and i + 1 < len(args):  # the option's value, whatever it looks like
                    rest.append(args[i + 1])
                    i += 1
            i += 1
        ctx.meta[SHORTHANDS] = shorthands
        return super().parse_args(ctx, rest)


def point_command(app: typer.Typer, *, sweep: bool = False, omit: tuple[str, ...] = (),
                  **command_kwargs: Any) -> Callable[[Callable], Callable]:
    """Register ``func`` on ``app`` with the point options; it takes them as ``point: PointArgs``.

    The options are inserted where ``point`` stands in ``func``'s signature; ``omit`` leaves
    some out (``graph`` has no batch or dtype), ``sweep`` declares the list-valued forms.
    """

    def decorate(func: Callable) -> Callable:
        sig = inspect.signature(func, eval_str=True)  # the command module's names, resolved there
        hints = {p.name: p.annotation for p in sig.parameters.values()}
        params: list[inspect.Parameter] = []
        names = {}
        for p in sig.parameters.values():
            if p.name != "point":
                params.append(p)
                continue
            for key, (pname, annotation, default) in _POINT_PARAMS.items():
                if key in omit:
                    continue
                if sweep and key in _SWEEP_PARAMS:
                    annotation = _SWEEP_PARAMS[key]
                names[pname] = key
                params.append(inspect.Parameter(pname, inspect.Parameter.KEYWORD_ONLY,
                                                default=default, annotation=annotation))
                hints[pname] = annotation
        hints.pop("point", None)

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> Any:
            point = PointArgs(**{names[k]: kwargs.pop(k) for k in list(kwargs) if k in names})
            meta = get_current_context().meta
            point.shorthands = list(meta.get(SHORTHANDS, []))
            point.suggest = dict(meta.get(SUGGEST, {}))
            with point.blame():
                return func(point=point, **kwargs)

        del wrapper.__wrapped__  # typer must read the new signature, not func's
        wrapper.__signature__ = sig.replace(parameters=[
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params])
        wrapper.__annotations__ = hints
        epilog = SWEEP_SHORTHAND_HELP if sweep else SHORTHAND_HELP
        command_kwargs.setdefault("epilog", epilog)
        command_kwargs.setdefault("context_settings", {})
        app.command(cls=PointCommand, **command_kwargs)(wrapper)
        return wrapper

    return decorate


def check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    """``fmt`` if it is one of ``allowed``, else a SpecError naming the choices."""
    if fmt not in allowed:
        raise SpecError(f"unknown --format '{fmt}' (choose from {', '.join(allowed)})")
    return fmt


def check_caption(fmt: str, caption: str | None, label: str | None) -> None:
    """``--caption``/``--label`` only with ``--format latex`` (checked before any work)."""
    if (caption is not None or label is not None) and fmt != "latex":
        raise SpecError("--caption and --label are for LaTeX tables; add --format latex")
    if label is not None:
        from archcalc.report.tables import latex_float as wrap

        wrap("", None, label)  # validates the label


def latex_float(text: str, fmt: str, caption: str | None, label: str | None) -> str:
    """``text`` in a LaTeX table float with ``--caption``/``--label`` (unchanged without them)."""
    if caption is None and label is None:
        return text
    check_caption(fmt, caption, label)
    from archcalc.report.tables import latex_float as wrap

    return wrap(text, caption, label)
