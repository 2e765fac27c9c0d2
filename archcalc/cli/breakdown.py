"""``archcalc breakdown``: where the parameters and computation go (by op, block, stage or layer type)."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import (
    Alpha,
    Batch,
    Caption,
    Dtype,
    Format,
    Label,
    Resolution,
    Rho,
    Sets,
    SpecArg,
    Variant,
    check_caption,
    check_format,
    latex_float,
    overrides,
)
from archcalc.report.formats import names


@app.command()
def breakdown(
    spec: SpecArg,
    by: Annotated[str, typer.Option("--by", help="op, block, stage or kind (layer type: depthwise, 1x1, conv, FC).")] = "kind",
    variant: Variant = None,
    alpha: Alpha = None,
    rho: Rho = None,
    resolution: Resolution = None,
    batch: Batch = "1",
    set_: Sets = None,
    dtype: Dtype = "fp32",
    fmt: Format = "table",
    all_groups: Annotated[bool, typer.Option("--all", help="Also list groups with no MACs and no params.")] = False,
    plot: Annotated[str | None, typer.Option("--plot", help="Draw MACs/params bars per group of --by to FILE.png|svg|pdf.")] = None,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Break a network's MACs, params and weights down by op, block, stage or layer type."""
    from archcalc.api import analyze
    from archcalc.report.breakdown import breakdown_table, check_grouping, plot_breakdown

    check_format(fmt, names(exclude=("json",)))
    check_grouping(by)
    check_caption(fmt, caption, label)
    if plot is not None:
        from archcalc.report.plots import check_path

        check_path(plot)
    a = analyze(spec, variant=variant, vars=overrides(set_, alpha, rho), resolution=resolution,
                batch=batch, dtype=dtype)
    typer.echo(latex_float(breakdown_table(a, by, fmt, skip_empty=not all_groups), fmt, caption, label), nl=False)
    if plot is not None:
        typer.echo(f"wrote {plot_breakdown(a, plot, by, skip_empty=not all_groups)}", err=True)
