"""``archcalc sweep``: a spec over the cartesian grid of var lists, one row per point."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.compare import Columns, Sort, Source
from archcalc.cli.options import Batch, Caption, Dtype, Format, Label, SpecArg, check_caption, check_format, latex_float
from archcalc.errors import SpecError
from archcalc.cli.output import Out, check_target, emit
from archcalc.report.formats import names

SWEEP_COLUMNS = ("input", "params", "macs", "flops", "published", "deviation", "top1")


@app.command()
def sweep(
    spec: SpecArg,
    alpha: Annotated[str | None, typer.Option("--alpha", help="Width multipliers, e.g. 1,0.75,0.5,0.25.")] = None,
    rho: Annotated[str | None, typer.Option("--rho", help="Resolution multipliers, e.g. 1,6/7,5/7,4/7.")] = None,
    variant: Annotated[str | None, typer.Option("--variant", "-v", help="Variants to sweep, e.g. b0,b1,b2.")] = None,
    resolution: Annotated[str | None, typer.Option("--resolution", "-r", help="Input sizes, e.g. 160,192,224.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", "-s", help="VAR=LIST (repeatable); lists split on top-level commas.")] = None,
    batch: Batch = "1",
    dtype: Dtype = "fp32",
    columns: Columns = None,
    sort: Sort = None,
    source: Source = None,
    fmt: Format = "table",
    plot: Annotated[str | None, typer.Option("--plot", help="Also draw the grid to FILE.png|svg|pdf.")] = None,
    x: Annotated[str, typer.Option("--x", help="Column on the plot's x axis.")] = "params",
    y: Annotated[str, typer.Option("--y", help="Column on the plot's y axis.")] = "macs",
    out: Out = None,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Sweep a spec over a grid of vars (e.g. MobileNet's alpha x rho grid) and tabulate every point."""
    from archcalc.report.compare import parse_columns, render_rows, sort_rows
    from archcalc.report.sweep import axes_from_options
    from archcalc.study import sweep_rows

    check_format(fmt, names(pages=True))
    check_target(out)
    cols = parse_columns(columns, SWEEP_COLUMNS)
    check_caption(fmt, caption, label)
    axes = axes_from_options(set_, variant=variant, alpha=alpha, rho=rho, resolution=resolution)
    if plot is not None:
        from archcalc.report.plots import check_path

        check_path(plot)
        try:  # unknown --x/--y columns fail before the sweep, not after it
            parse_columns(f"{x},{y}")
        except SpecError as e:
            raise SpecError(f"--x/--y: {e.message}") from None
    rows = sweep_rows(spec, axes, batch=batch, dtype=dtype, source=source)
    labels = [n for n, _ in axes]
    if fmt == "html":
        from archcalc import __version__
        from archcalc.report.html import rows_html

        name = rows[0].analysis.network.name if rows else str(spec)
        title = f"{name}: sweep over " + " x ".join(f"{n} in {{{', '.join(v)}}}" for n, v in axes)
        emit(rows_html(title, labels, sort_rows(rows, sort), cols, axes, __version__), out)
    else:
        emit(latex_float(render_rows(labels, sort_rows(rows, sort), cols, fmt), fmt, caption, label), out)
    if plot is not None:
        from archcalc.report.sweep import plot_sweep

        typer.echo(f"wrote {plot_sweep(rows, axes, x, y, plot)}", err=True)
