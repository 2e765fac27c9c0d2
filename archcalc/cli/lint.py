"""``archcalc lint``: likely mistakes in specs that still build (see ``archcalc.lint``)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app


@app.command()
def lint(
    specs: Annotated[Optional[list[str]], typer.Argument(metavar="SPEC...", help="Spec files or bundled spec names.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Lint every bundled spec.")] = False,
) -> None:
    """Flag likely spec mistakes that change params but not MACs: an if: in a block reading the
    entry's in_channels, ops never built, unused block args and vars, conv biases before BN,
    identical variants. One line per finding (file:line: [rule] message); exit 1 when any."""
    from archcalc.errors import SpecError
    from archcalc.lint import lint as run
    from archcalc.spec.loader import bundled_specs

    targets = list(specs or []) + ([str(p) for p in bundled_specs()] if all_ else [])
    if not targets:
        raise SpecError("lint: give one or more specs, or --all for the bundled ones")
    total = 0
    for target in targets:
        findings = run(target)
        total += len(findings)
        for f in findings:
            typer.echo(str(f))
    typer.echo(f"{total} finding{'s' if total != 1 else ''} in {len(targets)} spec{'s' if len(targets) != 1 else ''}",
               err=True)
    if total:
        raise typer.Exit(1)
