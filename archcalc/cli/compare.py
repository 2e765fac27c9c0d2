"""``archcalc compare``: several networks side by side, one row each."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import (
    Batch, Caption, Dtype, Format, Label, Resolution, Sets, check_caption, check_format, latex_float, overrides,
)
from archcalc.cli.output import Out, check_target, emit
from archcalc.report.tables import FORMATS

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
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Compare networks side by side: params, MACs, FLOPs, memory and published figures (one source per row)."""
    from archcalc.report.compare import compare_rows, parse_columns, render_rows, sort_rows

    check_format(fmt, FORMATS + ("html",))
    check_target(out)
    cols = parse_columns(columns)
    check_caption(fmt, caption, label)
    rows = sort_rows(compare_rows(specs, overrides(set_), resolution, batch, dtype, source=source), sort)
    if fmt == "html":
        from archcalc import __version__
        from archcalc.report.html import rows_html

        title = "Comparison: " + ", ".join(" ".join(str(x) for x in r.labels) for r in rows)
        emit(rows_html(title, ["network", "variant"], rows, cols, version=__version__), out)
    else:
        emit(latex_float(render_rows(["network", "variant"], rows, cols, fmt), fmt, caption, label), out)
