"""``archcalc compare``: several networks side by side, one row each."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.options import PageFormat, PointArgs, choice, point_command
from archcalc.cli.output import Out, check_target, emit
from archcalc.report.compare import COLUMNS

Column = choice("Column", *COLUMNS)

Columns = Annotated[str | None, typer.Option(
    "--columns", help="Comma-separated: input, params, weights, macs, flops, activations, peak, "
                      "published, deviation, top1, source.")]
Sort = Annotated[Optional[Column], typer.Option("--sort", help="Sort ascending by this column.")]
Source = Annotated[str | None, typer.Option(
    "--source", help="Published figures from this source only: a source key (howard2017, torchvision, "
                     "tf-slim ...; `archcalc specs SPEC` lists them) or a class, published-paper or "
                     "official-implementation. Default: per row, the spec's own paper first, then other "
                     "papers, then official implementations.")]


@point_command(app, omit=("variant",))
def compare(
    specs: Annotated[list[str], typer.Argument(metavar="SPEC[:VARIANT]...", help="Specs to compare.")],
    point: PointArgs,
    columns: Columns = None,
    sort: Sort = None,
    source: Source = None,
    fmt: PageFormat = "table",
    out: Out = None,
) -> None:
    """Compare networks side by side: params, MACs, FLOPs, memory and published figures (one source per row)."""
    from archcalc.report.compare import compare_rows, parse_columns, render_rows, sort_rows

    check_target(out)
    cols = parse_columns(columns)
    from archcalc.cli.progress import progress
    from archcalc.report.tables import human

    def line(r) -> str:
        t = r.analysis.totals
        return f"{' '.join(map(str, r.labels))}: {human(t['macs'])} MACs, {human(t['params'])} params"

    with progress(len(specs), "comparing") as advance:
        rows = compare_rows(specs, point.overrides(), point.size(), point.batch, point.dtype,
                            source=source, on_row=lambda r: advance(line(r)))
    rows = sort_rows(rows, sort)
    if fmt == "html":
        from archcalc import __version__
        from archcalc.report.html import rows_html

        title = "Comparison: " + ", ".join(" ".join(str(x) for x in r.labels) for r in rows)
        emit(rows_html(title, ["network", "variant"], rows, cols, version=__version__), out)
    else:
        emit(render_rows(["network", "variant"], rows, cols, fmt), out)
