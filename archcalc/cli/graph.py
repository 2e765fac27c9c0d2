"""``archcalc graph``: the costed layer DAG as Graphviz DOT or Mermaid."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli import app
from archcalc.cli.options import (
    Alpha,
    Resolution,
    Rho,
    Sets,
    SpecArg,
    Variant,
    check_format,
    overrides,
)


@app.command()
def graph(
    spec: SpecArg,
    variant: Variant = None,
    alpha: Alpha = None,
    rho: Rho = None,
    resolution: Resolution = None,
    set_: Sets = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="dot or mermaid.")] = "dot",
    collapse: Annotated[bool, typer.Option("--collapse", help="One node per outermost block call.")] = False,
) -> None:
    """Print the layer graph that was costed (DOT for Graphviz, or Mermaid)."""
    from archcalc.api import analyze
    from archcalc.report.graphviz import to_dot, to_mermaid

    check_format(fmt, ("dot", "mermaid"))
    a = analyze(spec, variant=variant, vars=overrides(set_, alpha, rho), resolution=resolution)
    typer.echo((to_dot if fmt == "dot" else to_mermaid)(a, collapse), nl=False)
