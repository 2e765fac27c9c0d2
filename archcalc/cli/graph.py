"""``archcalc graph``: the costed layer DAG as Graphviz DOT or Mermaid."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import PointArgs, SpecArg, format_option, point_command


@point_command(app, omit=("batch", "dtype"))
def graph(
    spec: SpecArg,
    point: PointArgs,
    fmt: format_option("dot", "mermaid", help="DOT (Graphviz) or Mermaid.") = "dot",
    collapse: Annotated[bool, typer.Option("--collapse", help="One node per outermost block call.")] = False,
) -> None:
    """Print the layer graph that was costed (DOT for Graphviz, or Mermaid)."""
    from archcalc.api import analyze
    from archcalc.report.graphviz import to_dot, to_mermaid

    path, at = point.at(spec)
    a = analyze(path, **at)
    typer.echo((to_dot if fmt == "dot" else to_mermaid)(a, collapse), nl=False)
