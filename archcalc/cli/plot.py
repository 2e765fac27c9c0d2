"""``archcalc plot``: figures (``archcalc plot accuracy``: MACs vs ImageNet top-1)."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app

plot_app = typer.Typer(help="Draw figures (PNG, SVG or PDF).", no_args_is_help=True,
                       rich_markup_mode=None)
app.add_typer(plot_app, name="plot")


@plot_app.command("accuracy")
def accuracy(
    specs: Annotated[list[str] | None, typer.Argument(
        metavar="SPEC[:VARIANT]...", help="Specs (default: every bundled spec); SPEC:VARIANT only that variant's entries.")] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="Figure file: .png, .svg or .pdf.")] = "accuracy.png",
    all_points: Annotated[bool, typer.Option(
        "--all", help="Also draw entries at a non-standard input size (e.g. 384²) or pre-trained on "
                      "ImageNet-21K/22K.")] = False,
    table: Annotated[bool, typer.Option(
        "--table", help="Also print the plotted points (network, point, MACs, params, top-1, source) on stdout.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Format of --table: table, markdown, latex or csv.")] = "table",
) -> None:
    """MACs (log axis) vs published ImageNet top-1 of the reference entries, one line per family.

    By default only entries at the variant's standard input and trained on ImageNet-1K are drawn.
    Writes the figure (its path on stderr) and prints nothing on stdout unless --table is given.
    """
    from archcalc.report.accuracy import plot_accuracy, points_table, standard_points
    from archcalc.study import start_accuracy_points
    from archcalc.report.plots import check_path
    from archcalc.spec.loader import bundled_specs

    from archcalc.errors import SpecError
    from archcalc.point import split_spec

    check_path(out)
    items = [split_spec(s) for s in specs or []] or [(p, None) for p in bundled_specs()]
    with start_accuracy_points([path for path, _ in items]) as pending:  # costed in forked workers
        from archcalc.report.plots import pyplot  # while this process imports matplotlib

        pyplot()
        per_spec = pending.results()
    points = []
    for (path, variant), each in zip(items, per_spec):
        found = [p for p in each if variant is None or p.variant == variant]
        if variant is not None and not found:
            raise SpecError(f"{path}:{variant}: no reference entry of variant '{variant}' has a top-1")
        points += found
    if not all_points:
        points = standard_points(points)
    if table:
        typer.echo(points_table(points, fmt), nl=fmt != "csv")
    typer.echo(f"wrote {plot_accuracy(points, out, all_points)}", err=True)
