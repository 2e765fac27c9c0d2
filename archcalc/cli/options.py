"""Options shared by several commands (typer annotations) and their conversion to API arguments."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.errors import SpecError

SpecArg = Annotated[str, typer.Argument(metavar="SPEC", help="Spec file, or the name of a bundled spec (e.g. mobilenet).")]
Variant = Annotated[Optional[str], typer.Option("--variant", "-v", help="Variant name (see `archcalc specs`).")]
Alpha = Annotated[Optional[str], typer.Option("--alpha", help="Shorthand for --set alpha=A (exact: 3/4).")]
Rho = Annotated[Optional[str], typer.Option("--rho", help="Shorthand for --set rho=R (exact: 6/7).")]
Resolution = Annotated[Optional[str], typer.Option("--resolution", "-r", help="Input H and W (sets var `resolution` where the spec has it).")]
Batch = Annotated[str, typer.Option("--batch", "-b", help="Batch size.")]
Sets = Annotated[Optional[list[str]], typer.Option("--set", "-s", help="NAME=VALUE, an expression (repeatable).")]
Dtype = Annotated[str, typer.Option("--dtype", help="fp32, fp16, bf16 or int8 (bytes per element).")]
Format = Annotated[str, typer.Option("--format", "-f", help="table, markdown, latex, csv or json.")]
Caption = Annotated[Optional[str], typer.Option("--caption", help="With --format latex: a table float with this \\caption.")]
Label = Annotated[Optional[str], typer.Option("--label", help="With --format latex: the float's \\label (e.g. tab:mobilenet).")]


def overrides(sets: list[str] | None, alpha: str | None = None, rho: str | None = None) -> dict[str, str]:
    """``--set NAME=VALUE`` pairs plus the --alpha/--rho shorthands, values unparsed (a name set
    twice is an error: ``archcalc.point.parse_overrides``)."""
    from archcalc.point import parse_overrides

    return parse_overrides(sets, alpha=alpha, rho=rho)


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

