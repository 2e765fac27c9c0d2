"""``archcalc cost``: per-layer and total params, MACs, FLOPs and memory of one network."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app, startup_import
from archcalc.cli.conventions import ConventionOpt, check_convention
from archcalc.cli.options import (
    Caption, Label, PageFormat, PointArgs, Source, SpecArg, check_caption, choice, latex_float, point_command,
)
from archcalc.cli.output import Out, check_target, emit
from archcalc.errors import SpecError
from archcalc.report.formats import dumps
from archcalc.memory import OPTIMIZERS


@point_command(app)
def cost(
    spec: SpecArg,
    point: PointArgs,
    per_layer: Annotated[bool, typer.Option("--per-layer/--summary", help="Show every layer, or totals only.")] = True,
    fmt: PageFormat = "table",
    symbolic: Annotated[bool, typer.Option("--symbolic", help="Formulas in the spec's vars (ideal model).")] = False,
    symbols: Annotated[Optional[str], typer.Option("--symbols", help="Comma-separated vars to keep symbolic.")] = None,
    layer: Annotated[Optional[list[str]], typer.Option("--layer", "-l", help="Only these layers: a name, a prefix (stage3) or a glob (*.dw); repeatable.")] = None,
    out: Out = None,
    source: Source = None,
    training: Annotated[bool, typer.Option("--training", help="Add forward+backward cost and training memory.")] = False,
    optimizer: Annotated[choice("Optimizer", *OPTIMIZERS), typer.Option("--optimizer", help="With --training: the optimizer (its state).")] = "sgd",
    input_grad: Annotated[bool, typer.Option("--input-grad", help="With --training: also compute the gradient of the network input.")] = False,
    convention: ConventionOpt = None,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Cost a network: params, MACs, FLOPs and activation memory, per layer and in total."""
    from archcalc.api import analyze
    from archcalc.reference import check_source

    check_target(out)
    check_caption(fmt, caption, label)
    if convention is not None:
        check_convention(convention)
        if fmt == "html":
            raise SpecError("--convention: the HTML page does not show preset counts yet; "
                            "use --format table, markdown, latex, csv or json")
    if symbolic or symbols is not None:
        startup_import("sympy")
    path, at = point.at(spec)
    a = analyze(path, **at, symbolic=symbolic or symbols is not None,
                symbols=symbols.split(",") if symbols else None)
    source = check_source(source, [a.loaded])
    pass_ = "training" if training and convention is not None else "inference"
    t = None
    if training:
        from archcalc.training import training_cost

        t = training_cost(a, optimizer, input_grad)
    if fmt == "json":
        doc = a.to_dict(source, convention, pass_, input_grad)
        if t is not None:
            from archcalc.api import _jsonable
            from archcalc.report.training import training_json

            training_json(doc, t, _jsonable)
        if layer:
            names = {c.name for c in a.select(layer)}
            doc["layers"] = [r for r in doc["layers"] if r["name"] in names]
        emit(dumps(doc) + "\n", out)
    elif fmt == "html":
        from archcalc import __version__
        from archcalc.report.html import analysis_page, published_checks

        emit(analysis_page(a, published_checks(a, source), __version__), out)
    else:
        text = latex_float(a.table(fmt, per_layer, layer, source, convention, pass_, input_grad), fmt, caption, label)
        if t is not None:
            from archcalc.report.training import training_section

            text += ("\n" if fmt != "csv" else "") + training_section(a, t, fmt, per_layer,
                                                                     a.select(layer) if layer else None)
        emit(text, out)
