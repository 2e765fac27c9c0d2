"""``archcalc sweep``: a spec over the cartesian grid of var lists, one row per point."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.compare import Column, Columns, Sort
from archcalc.cli.options import (
    Caption, Label, PageFormat, PointArgs, Source, SpecArg, check_caption, latex_float, point_command,
    var_name,
)
from archcalc.cli.output import Out, check_target, emit
from archcalc.point import split_spec
from archcalc.errors import SpecError

SWEEP_COLUMNS = ("input", "params", "macs", "flops", "published", "deviation", "top1")


@point_command(app, sweep=True, omit=("input",))
def sweep(
    spec: SpecArg,
    point: PointArgs,
    columns: Columns = None,
    sort: Sort = None,
    source: Source = None,
    fmt: PageFormat = "table",
    plot: Annotated[str | None, typer.Option("--plot", help="Also draw the grid to FILE.png|svg|pdf.")] = None,
    x: Annotated[Column, typer.Option("--x", help="Column on the plot's x axis.")] = "params",
    y: Annotated[Column, typer.Option("--y", help="Column on the plot's y axis.")] = "macs",
    out: Out = None,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Sweep a spec over a grid of vars (e.g. MobileNet's alpha x rho grid) and tabulate every point."""
    from archcalc.report.compare import parse_columns, render_rows, sort_rows
    from archcalc.report.sweep import axes_from_options
    from archcalc.study import sweep_rows

    check_target(out)
    cols = parse_columns(columns, SWEEP_COLUMNS)
    check_caption(fmt, caption, label)
    path, fixed_variant = split_spec(spec)
    if fixed_variant is not None and point.variant is not None:
        raise SpecError(f"{spec} fixes the variant; --variant sweeps variants: give one")
    shorthands = [(var_name(flag), text) for flag, text in point.shorthands]
    axes = axes_from_options(point.sets, variant=point.variant, shorthands=shorthands,
                             resolution=point.resolution)
    if plot:
        from archcalc.report.plots import check_path

        check_path(plot)  # (--x/--y are checked by their options, before the sweep)
    from archcalc.cli.progress import progress
    from archcalc.report.sweep import grid

    with progress(len(grid(axes)), "sweeping") as advance:
        rows = sweep_rows(path, axes, batch=point.batch, dtype=point.dtype, variant=fixed_variant,
                          source=source, on_row=lambda r: advance(_line(r, axes)))
    labels = [n for n, _ in axes]
    if fmt == "html":
        from archcalc import __version__
        from archcalc.report.html import rows_html

        name = rows[0].analysis.network.name if rows else str(path)
        title = f"{name}: sweep over " + " x ".join(f"{n} in {{{', '.join(v)}}}" for n, v in axes)
        emit(rows_html(title, labels, sort_rows(rows, sort), cols, axes, __version__), out)
    else:
        emit(latex_float(render_rows(labels, sort_rows(rows, sort), cols, fmt), fmt, caption, label), out)
    if plot is not None:
        from archcalc.report.sweep import plot_sweep

        typer.echo(f"wrote {plot_sweep(rows, axes, x, y, plot)}", err=True)


def _line(row, axes) -> str:
    """One finished grid point, as streamed to a terminal: ``alpha=0.75, rho=1: 325.4M MACs``."""
    from archcalc.report.tables import human

    where = ", ".join(f"{n}={v}" for (n, _), v in zip(axes, row.labels)) or "default"
    t = row.analysis.totals
    return f"{where}: {human(t['macs'])} MACs, {human(t['params'])} params"
