"""``archcalc compare``: several networks side by side, one row each."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.conventions import ConventionsOpt, parse_conventions
from archcalc.cli.options import (
    Batch, Caption, Dtype, Format, Label, Resolution, Sets, check_caption, check_format, latex_float, overrides,
)
from archcalc.cli.output import Out, check_target, emit
from archcalc.report.formats import names

Columns = Annotated[str | None, typer.Option(
    "--columns", help="Comma-separated: input, params, weights, macs, flops, activations, peak, "
                      "published, deviation, top1, source.")]
Sort = Annotated[str | None, typer.Option("--sort", help="Sort ascending by this column (e.g. macs).")]
Source = Annotated[str | None, typer.Option(
    "--source", help="Published figures from this source only: a source key (howard2017, torchvision, "
                     "tf-slim ...; `archcalc specs SPEC` lists them) or a class, published-paper or "
                     "official-implementation. Default: per row, the spec's own paper first, then other "
                     "papers, then official implementations.")]


@app.command()
def compare(
    specs: Annotated[list[str], typer.Argument(metavar="SPEC[:VARIANT]...", help="Specs to compare.")],
    set_: Sets = None,
    resolution: Resolution = None,
    batch: Batch = "1",
    dtype: Dtype = "fp32",
    columns: Columns = None,
    sort: Sort = None,
    source: Source = None,
    fmt: Format = "table",
    out: Out = None,
    conventions: ConventionsOpt = None,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Compare networks side by side: params, MACs, FLOPs, memory and published figures (one source per row)."""
    from archcalc.report.compare import convention_column, parse_columns, render_rows, sort_rows
    from archcalc.study import compare_rows

    check_format(fmt, names(pages=True))
    check_target(out)
    cols = parse_columns(columns)
    check_caption(fmt, caption, label)
    if conventions is not None:
        presets = tuple(convention_column(n) for n in parse_conventions(conventions))
        cols = (parse_columns(columns, ()) if columns else ()) + presets
        if sort in {n.strip() for n in conventions.split(",")}:
            sort = convention_column(sort)
    rows = sort_rows(compare_rows(specs, overrides(set_), resolution, batch, dtype, source=source), sort)
    if fmt == "html":
        from archcalc import __version__
        from archcalc.report.html import rows_html

        title = "Comparison: " + ", ".join(" ".join(str(x) for x in r.labels) for r in rows)
        emit(rows_html(title, ["network", "variant"], rows, cols, version=__version__), out)
    else:
        emit(latex_float(render_rows(["network", "variant"], rows, cols, fmt), fmt, caption, label), out)
