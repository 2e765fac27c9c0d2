"""``archcalc explain``: why two counting presets disagree on a network, by op and by layer."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.conventions import check_convention
from archcalc.cli.options import Format, PointArgs, SpecArg, check_format, point_command


@point_command(app, omit=("dtype",))
def explain(
    spec: SpecArg,
    between: Annotated[tuple[str, str], typer.Option(
        "--between", metavar="PRESET PRESET", help="The two presets to compare (see `archcalc conventions`).")],
    point: PointArgs,
    top: Annotated[Optional[int], typer.Option(
        "--top", min=1, help="Show the N layers that differ most; the rest sum into one row.")] = None,
    fmt: Format = "table",
) -> None:
    """Where two presets' counts differ, by op kind (which rule of each causes it) and by layer;
    the rows sum exactly to the difference of the totals."""
    from archcalc.api import analyze
    from archcalc.conventions import differences, layer_facts
    from archcalc.errors import SpecError
    from archcalc.report.conventions import FORMATS, explain as render

    check_format(fmt, FORMATS)
    a_name, b_name = (check_convention(n, "--between") for n in between)
    path, at = point.at(spec)
    a = analyze(path, **at)
    if a.symbolic:  # pragma: no cover - analyze is numeric here
        raise SpecError("explain needs numbers")
    diffs = differences(a_name, b_name, layer_facts(a.network, a.layers, a.batch))
    net = a.network
    title = f"{net.name}" + (f" [{net.variant}]" if net.variant else "") + \
        f" at {'x'.join(map(str, net.input_shape))}, batch {a.batch}"
    typer.echo(render(a_name, b_name, diffs, title, fmt, top), nl=False)
