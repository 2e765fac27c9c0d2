"""``archcalc homework [QUESTION]``: the lecture's questions, answered with derivations."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.options import check_format


@app.command()
def homework(
    question: Annotated[Optional[str], typer.Argument(help="Question id (omit to list them).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Answer every question.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, markdown, latex or json.")] = "text",
) -> None:
    """List the homework questions, or answer one (or --all) with its derivation."""
    from archcalc.proofs.homework import QUESTIONS, answer, questions_table, render_all
    from archcalc.report.formats import dumps
    from archcalc.proofs.proof import FORMATS, render, to_dict

    check_format(fmt, FORMATS)
    if all_:
        if fmt == "json":
            typer.echo(dumps({q: to_dict(answer(q)) for q in QUESTIONS}, ascii=False))
        else:
            typer.echo(render_all(fmt), nl=False)
    elif question is None:
        typer.echo(questions_table(fmt))
    else:
        typer.echo(render(answer(question), fmt), nl=False)
