"""``archcalc cost``: per-layer and total params, MACs, FLOPs and memory of one network."""

from __future__ import annotations

import json

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.compare import Source
from archcalc.cli.options import (
    Alpha, Batch, Caption, Dtype, Format, Label, Resolution, Rho, Sets, SpecArg, Variant, check_caption,
    check_format, latex_float, overrides,
)
from archcalc.cli.output import Out, check_target, emit
from archcalc.report.tables import FORMATS


@app.command()
def cost(
    spec: SpecArg,
    variant: Variant = None,
    alpha: Alpha = None,
    rho: Rho = None,
    resolution: Resolution = None,
    batch: Batch = "1",
    set_: Sets = None,
    dtype: Dtype = "fp32",
    per_layer: Annotated[bool, typer.Option("--per-layer/--summary", help="Show every layer, or totals only.")] = True,
    fmt: Format = "table",
    symbolic: Annotated[bool, typer.Option("--symbolic", help="Formulas in the spec's vars (ideal model).")] = False,
    symbols: Annotated[Optional[str], typer.Option("--symbols", help="Comma-separated vars to keep symbolic.")] = None,
    layer: Annotated[Optional[list[str]], typer.Option("--layer", "-l", help="Only these layers: a name, a prefix (stage3) or a glob (*.dw); repeatable.")] = None,
    out: Out = None,
    source: Source = None,
    training: Annotated[bool, typer.Option("--training", help="Add forward+backward cost and training memory.")] = False,
    optimizer: Annotated[str, typer.Option("--optimizer", help="With --training: sgd, sgd-momentum, adam or adamw (optimizer state).")] = "sgd",
    input_grad: Annotated[bool, typer.Option("--input-grad", help="With --training: also compute the gradient of the network input.")] = False,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Cost a network: params, MACs, FLOPs and activation memory, per layer and in total."""
    from archcalc.api import analyze, load
    from archcalc.reference import check_source

    check_format(fmt, FORMATS + ("html",))
    check_target(out)
    check_caption(fmt, caption, label)
    a = analyze(
        spec, variant=variant, vars=overrides(set_, alpha, rho), resolution=resolution, batch=batch,
        dtype=dtype, symbolic=symbolic or symbols is not None,
        symbols=symbols.split(",") if symbols else None,
    )
    source = check_source(source, [load(a.spec_path)])
    t = None
    if training:
        from archcalc.training import training_cost

        t = training_cost(a, optimizer, input_grad)
    if fmt == "json":
        doc = a.to_dict(source)
        if t is not None:
            from archcalc.api import _jsonable
            from archcalc.report.training import training_json

            training_json(doc, t, _jsonable)
        if layer:
            names = {c.name for c in a.select(layer)}
            doc["layers"] = [r for r in doc["layers"] if r["name"] in names]
        emit(json.dumps(doc, indent=2) + "\n", out)
    elif fmt == "html":
        from archcalc import __version__
        from archcalc.report.html import analysis_page, published_checks

        emit(analysis_page(a, published_checks(a, source), __version__), out)
    else:
        text = latex_float(a.table(fmt, per_layer, layer, source), fmt, caption, label)
        if t is not None:
            from archcalc.report.training import training_section

            text += ("\n" if fmt != "csv" else "") + training_section(a, t, fmt, per_layer,
                                                                     a.select(layer) if layer else None)
        emit(text, out)
