"""``archcalc homework [QUESTION]``: the lecture's questions, answered with derivations."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.options import format_option
from archcalc.proofs.proof import FORMATS as PROOF_FORMATS


@app.command()
def homework(
    question: Annotated[Optional[str], typer.Argument(help="Question id (omit to list them).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Answer every question.")] = False,
    fmt: format_option(*PROOF_FORMATS, help="Output format (table: plain text).") = "table",
) -> None:
    """List the homework questions, or answer one (or --all) with its derivation."""
    from archcalc.proofs.homework import answer, questions_table, render_all, rendered_all
    from archcalc.proofs.proof import render

    if all_:
        if fmt == "json":
            from archcalc.report.formats import dumps

            typer.echo(dumps({q: r["json"] for q, r in rendered_all(["json"]).items()}, ascii=False))
        else:
            typer.echo(render_all(fmt), nl=False)
    elif question is None:
        typer.echo(questions_table(fmt))
    else:
        typer.echo(render(answer(question), fmt), nl=False)
