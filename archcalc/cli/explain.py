"""``archcalc explain``: why two counting presets disagree on a network, by op and by layer."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.conventions import check_convention
from archcalc.cli.options import Batch, Format, Resolution, Sets, Variant, check_format, overrides


@app.command()
def explain(
    spec: Annotated[str, typer.Argument(metavar="SPEC[:VARIANT]", help="Spec file or bundled name, e.g. resnet:50.")],
    between: Annotated[tuple[str, str], typer.Option(
        "--between", metavar="PRESET PRESET", help="The two presets to compare (see `archcalc conventions`).")],
    variant: Variant = None,
    resolution: Resolution = None,
    batch: Batch = "1",
    set_: Sets = None,
    top: Annotated[Optional[int], typer.Option(
        "--top", min=1, help="Show the N layers that differ most; the rest sum into one row.")] = None,
    fmt: Format = "table",
) -> None:
    """Where two presets' counts differ, by op kind (which rule of each causes it) and by layer;
    the rows sum exactly to the difference of the totals."""
    from archcalc.api import analyze
    from archcalc.conventions import differences, layer_facts
    from archcalc.errors import SpecError
    from archcalc.report.compare import split_spec_arg
    from archcalc.report.conventions import FORMATS, explain as render

    check_format(fmt, FORMATS)
    a_name, b_name = (check_convention(n, "--between") for n in between)
    path, tail = split_spec_arg(spec)
    if tail is not None and variant is not None and tail != variant:
        raise SpecError(f"{spec}: variant '{tail}' and --variant '{variant}' disagree")
    a = analyze(path, variant=variant or tail, vars=overrides(set_), resolution=resolution, batch=batch)
    if a.symbolic:  # pragma: no cover - analyze is numeric here
        raise SpecError("explain needs numbers")
    diffs = differences(a_name, b_name, layer_facts(a.network, a.layers, a.batch))
    net = a.network
    title = f"{net.name}" + (f" [{net.variant}]" if net.variant else "") + \
        f" at {'x'.join(map(str, net.input_shape))}, batch {a.batch}"
    typer.echo(render(a_name, b_name, diffs, title, fmt, top), nl=False)
