"""``archcalc import``: a PyTorch module (torchvision, timm, your factory) or an ONNX file as a spec."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.errors import SpecError


def parse_input(text: str | None):
    """``3x224x224`` (C x H x W), ``224x192`` (H x W, 3 channels) or ``224``."""
    if text is None:
        return None
    parts = text.lower().replace("*", "x").split("x")
    try:
        dims = [int(p) for p in parts]
    except ValueError:
        raise SpecError(f"--input expects CxHxW (3x224x224), HxW or N, got '{text}'") from None
    if len(dims) == 1:
        dims = [3, dims[0], dims[0]]
    elif len(dims) == 2:
        dims = [3] + dims
    if len(dims) != 3 or min(dims) < 1 or max(dims) > 16384:
        raise SpecError(f"--input expects CxHxW with sizes 1..16384, got '{text}'")
    return tuple(dims)


@app.command("import")
def import_(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="torchvision:NAME, timm:NAME, path/models.py:factory or model.onnx.")],
    output: Annotated[str, typer.Option("--output", "-o", help="The spec (.yaml) to write ('-' for stdout).")],
    input_: Annotated[Optional[str], typer.Option("--input", "-i", help="Input CxHxW (default 3x224x224; 3x299x299 for inception_v3; an ONNX file's own).")] = None,
    arg: Annotated[Optional[list[str]], typer.Option("--arg", "-a", help="NAME=VALUE for the model factory (repeatable).")] = None,
) -> None:
    """Trace a PyTorch model (torch.fx, eval mode) or read an ONNX graph, and write it as a spec."""
    from archcalc.importers import import_text, parse_args

    shape = parse_input(input_)
    from archcalc.io import check_writable, write_text

    if output != "-":
        check_writable(output)  # before any work
    text, cap = import_text(source, shape, parse_args(arg))
    from archcalc.spec.loader import load_text

    load_text(text, output)  # the written spec must load: checked before writing
    if output == "-":
        typer.echo(text, nl=False)
    else:
        write_text(output, text)
    off = sum(getattr(cap, "off_path", {}).values())
    msg = f"wrote {output}: {len(cap.entries)} layers, {cap.params_total} params"
    if off:
        msg += f" ({off} off the inference path: {', '.join(f'{k} {v}' for k, v in cap.off_path.items())})"
    typer.echo(msg, err=True)
