"""``archcalc breakdown``: where the parameters and computation go (by op, block, stage or layer type)."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import (
    Caption, Label, PointArgs, SpecArg, TableFormat, check_caption, choice, latex_float, point_command,
)
from archcalc.report.breakdown import GROUPINGS

@point_command(app)
def breakdown(
    spec: SpecArg,
    by: Annotated[choice("By", *GROUPINGS), typer.Option("--by", help="Group by op, block, stage or kind (layer type: depthwise, 1x1, conv, FC).")] = "kind",
    point: PointArgs = None,
    fmt: TableFormat = "table",
    all_groups: Annotated[bool, typer.Option("--all", help="Also list groups with no MACs and no params.")] = False,
    plot: Annotated[str | None, typer.Option("--plot", help="Draw MACs/params bars per group of --by to FILE.png|svg|pdf.")] = None,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Break a network's MACs, params and weights down by op, block, stage or layer type."""
    from archcalc.api import analyze
    from archcalc.report.breakdown import breakdown_table, check_grouping, plot_breakdown

    check_grouping(by)
    check_caption(fmt, caption, label)
    if plot is not None:
        from archcalc.report.plots import check_path

        check_path(plot)
    path, at = point.at(spec)
    a = analyze(path, **at)
    typer.echo(latex_float(breakdown_table(a, by, fmt, skip_empty=not all_groups), fmt, caption, label), nl=False)
    if plot is not None:
        typer.echo(f"wrote {plot_breakdown(a, plot, by, skip_empty=not all_groups)}", err=True)
