"""``archcalc conventions``: every counting preset, what it counts, its unit, tool version and quirks.

Also the ``--convention`` / ``--conventions`` options that ``cost`` and ``compare`` take.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.options import Format, check_format
from archcalc.errors import SpecError

ConventionOpt = Annotated[Optional[str], typer.Option(
    "--convention", "-c", metavar="PRESET",
    help="Also count every layer as this preset does (see `archcalc conventions`), e.g. fvcore.")]
ConventionsOpt = Annotated[Optional[str], typer.Option(
    "--conventions", metavar="PRESET,...",
    help="One column per preset (see `archcalc conventions`), e.g. archcalc,fvcore,thop.")]


def check_convention(name: str, flag: str = "--convention") -> str:
    """``name`` if it is a preset, else a one-line error naming the flag and the choices."""
    from archcalc.conventions import PRESETS

    if name not in PRESETS:
        raise SpecError(f"{flag} '{name}': unknown preset (choose from {', '.join(PRESETS)})")
    return name


def parse_conventions(text: str, flag: str = "--conventions") -> list[str]:
    """``'archcalc,fvcore'`` -> ['archcalc', 'fvcore'], each checked, none repeated."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise SpecError(f"{flag}: give at least one preset")
    for n in names:
        check_convention(n, flag)
    if len(set(names)) != len(names):
        raise SpecError(f"{flag} '{text}': a preset is named twice")
    return names


@app.command()
def conventions(
    name: Annotated[Optional[str], typer.Argument(metavar="[PRESET]", help="Show this preset's rules op by op.")] = None,
    fmt: Format = "table",
) -> None:
    """List the counting presets (what each counts, unit, tool version, quirks), or one preset's rules."""
    from archcalc.report.conventions import FORMATS, preset_rules, presets_table

    check_format(fmt, FORMATS)
    if name is None:
        typer.echo(presets_table(fmt), nl=False)
    else:
        typer.echo(preset_rules(check_convention(name, "PRESET"), fmt), nl=False)
