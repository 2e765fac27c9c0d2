"""Importers: a model from another framework (a PyTorch module, torchvision/timm names, ONNX)
as an archcalc spec.

``from_torch(module, input_shape)`` returns a loaded spec; ``import_text(source, ...)``
gives the YAML text the ``archcalc import`` command writes. torch (and torchvision, timm,
onnx) are imported only when used.

An importer produces spec *data* and hands it to :mod:`archcalc.spec` (which validates
it like a file); a graph whose nodes arrive out of order is sorted with
:func:`archcalc.graph.topological_order`. Importers never import the cost model, the
API, the reports, the executor or the CLI (import-linter contracts in pyproject.toml).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from archcalc.errors import SettingError, SpecError


def _notes(cap) -> list[str]:
    notes = [f"Imported by archcalc from {cap.model_class} (torch.fx, eval mode); "
             f"sum(p.numel()) = {cap.params_total}."]
    if cap.off_path:
        off = sum(cap.off_path.values())
        parts = ", ".join(f"{k} {v}" for k, v in cap.off_path.items())
        notes.append(f"Parameters off the inference path (not in this spec): {off} ({parts}); "
                     f"inference-path params = {cap.params_total - off}.")
    return notes


def torch_text(module, input_shape=(3, 224, 224), name: str | None = None) -> tuple[str, Any]:
    """(spec YAML, Captured) of a PyTorch module."""
    from archcalc.importers.spec_writer import spec_text
    from archcalc.importers.torch_fx import capture

    cap = capture(module, input_shape)
    title = name or type(module).__name__
    return spec_text(title, cap.entries, cap.input_shape, _notes(cap), module_types=cap.module_types), cap


def from_torch(module, input_shape=(3, 224, 224), name: str | None = None):
    """A PyTorch ``nn.Module`` as a loaded spec (analyze it like any other)."""
    from archcalc.spec.loader import load_text

    text, cap = torch_text(module, input_shape, name)
    loaded = load_text(text, f"<{name or type(module).__name__}>")
    loaded.imported = cap  # the capture: params_total, off_path
    return loaded


def _parse_arg(value: str):
    if value in ("true", "false"):
        return value == "true"
    for conv in (int, float):
        try:
            return conv(value)
        except ValueError:
            pass
    return value


def parse_args(items: list[str] | None) -> dict:
    """``--arg k=v`` pairs; values become int, float, bool or stay strings."""
    out = {}
    for item in items or []:
        k, eq, v = item.partition("=")
        if not eq or not k.strip().isidentifier():
            raise SettingError("args", f"expects NAME=VALUE, got '{item}'", form="{setting} {detail}")
        out[k.strip()] = _parse_arg(v.strip())
    return out


def build_module(source: str, args: dict | None = None):
    """``torchvision:NAME``, ``timm:NAME`` or ``path/file.py:factory`` -> an nn.Module."""
    args = dict(args or {})
    kind, _, name = source.partition(":")
    if kind == "torchvision":
        import torchvision.models as tvm

        names = tvm.list_models(module=tvm)
        if name not in names:
            close = [n for n in names if name.split("_")[0] in n][:8]
            raise SpecError(f"torchvision has no classification model '{name}'"
                            + (f"; similar: {', '.join(close)}" if close else ""))
        return tvm.get_model(name, weights=None, **args)
    if kind == "timm":
        try:
            import timm
        except ImportError:
            raise SpecError("timm: models need the timm package (pip install timm)") from None
        if not timm.is_model(name):
            raise SpecError(f"timm has no model '{name}'")
        return timm.create_model(name, pretrained=False, **args)
    path, sep, factory = source.rpartition(":")
    if sep and path.endswith(".py"):
        p = Path(path)
        if not p.is_file():
            raise SpecError(f"no Python file '{path}'")
        if not factory.isidentifier():
            raise SpecError(f"'{factory}' is not a function name")
        spec = importlib.util.spec_from_file_location(re.sub(r"\W", "_", p.stem), p)
        mod = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(p.resolve().parent))
        try:
            spec.loader.exec_module(mod)  # the user's own model code, as they asked
        finally:
            sys.path.pop(0)
        fn = getattr(mod, factory, None)
        if fn is None:
            raise SpecError(f"{path} defines no '{factory}'")
        return fn(**args)
    raise SpecError(f"unknown import source '{source}': give torchvision:NAME, timm:NAME, "
                    "path/models.py:factory or a .onnx file")


def import_text(source: str, input_shape=None, args: dict | None = None) -> tuple[str, Any]:
    """(spec YAML, capture) for an ``archcalc import`` source."""
    if source.endswith(".onnx"):
        from archcalc.importers.onnx_import import onnx_text

        return onnx_text(source, input_shape)
    module = build_module(source, args)
    if input_shape is None:
        input_shape = (3, 299, 299) if "inception_v3" in source else (3, 224, 224)
    return torch_text(module, input_shape, name=source)
