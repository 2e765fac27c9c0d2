"""``archcalc compare``: several networks side by side, one row each."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.conventions import ConventionsOpt, parse_conventions
from archcalc.cli.options import (
    Caption, Label, PageFormat, PointArgs, Source, check_caption, choice, latex_float, point_command,
)
from archcalc.cli.output import Out, check_target, emit
from archcalc.report.compare import COLUMNS

Column = choice("Column", *COLUMNS)

Columns = Annotated[str | None, typer.Option(
    "--columns", help="Comma-separated: input, params, weights, macs, flops, activations, peak, "
                      "published, deviation, top1, source.")]
Sort = Annotated[str | None, typer.Option(
    "--sort", metavar="<" + "|".join(COLUMNS) + ">",
    help="Sort ascending by this column (or by a preset named in --conventions).")]


@point_command(app, omit=("variant",))
def compare(
    specs: Annotated[list[str], typer.Argument(metavar="SPEC[:VARIANT]...", help="Specs to compare.")],
    point: PointArgs,
    columns: Columns = None,
    sort: Sort = None,
    source: Source = None,
    fmt: PageFormat = "table",
    out: Out = None,
    conventions: ConventionsOpt = None,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Compare networks side by side: params, MACs, FLOPs, memory and published figures (one source per row)."""
    from archcalc.cli.progress import progress
    from archcalc.report.compare import convention_column, parse_columns, render_rows, sort_rows
    from archcalc.report.tables import human
    from archcalc.study import compare_rows

    check_target(out)
    cols = parse_columns(columns)
    check_caption(fmt, caption, label)
    if conventions is not None:
        presets = tuple(convention_column(n) for n in parse_conventions(conventions))
        cols = (parse_columns(columns, ()) if columns else ()) + presets
        if sort in {n.strip() for n in conventions.split(",")}:
            sort = convention_column(sort)

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
        emit(latex_float(render_rows(["network", "variant"], rows, cols, fmt), fmt, caption, label), out)
