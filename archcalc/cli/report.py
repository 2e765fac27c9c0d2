"""``archcalc report``: regenerate every file in ``reports/`` (deterministic, committed)."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app


@app.command()
def report(
    out: Annotated[str, typer.Option("--out", "-o", help="Output directory.")] = "reports",
) -> None:
    """Regenerate the comparison tables, MobileNet grid, breakdowns, accuracy plot and homework."""
    from archcalc.report.reports import write_reports

    write_reports(out, log=lambda line: typer.echo(line, err=True))
