"""``archcalc report``: regenerate every file in ``reports/`` (deterministic, committed)."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import format_option


@app.command()
def report(
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output directory (default reports/, "
                                            "or reports/site/ with --format html).")] = None,
    fmt: format_option("files", "html", help="files (Markdown, LaTeX, CSV, figures) or html "
                                              "(self-contained pages with an index).") = "files",
) -> None:
    """Regenerate the comparison tables, MobileNet grid, breakdowns, accuracy plot and homework."""
    from archcalc.cli.progress import interactive, progress

    with progress(None, "writing reports") as advance:  # on a terminal: a bar, the lines above it
        log = lambda line: advance(line) if interactive() else typer.echo(line, err=True)  # noqa: E731
        if fmt == "html":
            from archcalc.study.site import write_site

            write_site(out or "reports/site", log=log)
            return
        from archcalc.study.reports import write_reports

        write_reports(out or "reports", log=log)
