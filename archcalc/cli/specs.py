"""``archcalc specs`` lists the bundled specs; ``archcalc schema`` prints the spec JSON Schema."""

from __future__ import annotations


import typer

from archcalc.cli import app
from archcalc.cli.options import Format, check_format
from archcalc.report.formats import dumps, names


@app.command("specs")
def list_specs(fmt: Format = "table") -> None:
    """List the bundled specs with their variants and vars."""
    from archcalc.report.tables import render
    from archcalc.spec.loader import bundled_specs, load

    rows = []
    for path in bundled_specs():
        s = load(path).spec
        variants = list(s.variants)
        if s.default_variant is None:
            variants.insert(0, "(default)")
        rows.append([path.stem, s.name, ", ".join(variants),
                     ", ".join(k for k in s.vars)])
    if fmt == "json":
        typer.echo(dumps([dict(zip(("spec", "name", "variants", "vars"), r)) for r in rows]))
        return
    check_format(fmt, names(exclude=("json",)))
    typer.echo(render(["spec", "name", "variants", "vars"], rows, fmt))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec format (for editor validation)."""
    from archcalc.spec.models import Spec

    typer.echo(dumps(Spec.model_json_schema()))
