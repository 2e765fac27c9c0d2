"""The op registry: op name -> (module, class), written out; everything else is derived from it.

Adding an op is one class in one module here (its formulas, its ``kind`` and a contract
``example``), one line in ``WHERE`` below, plus its executor kernel (``archcalc.executor.dispatch``)
and torch equivalent (``archcalc.exporters.torch_ref``); the contract tests fail until all exist.

The table is written out (not collected from the classes) so that looking an op up imports
only the module that defines it: a spec's ops cost their own modules' classes, and a
ResNet never builds the ten pydantic classes of the PyTorch/ONNX bridge ops (issue 16).
``OPS`` (every class, in the table's order) imports them all, on first use, and checks the
table against the classes: each op name is exactly one class's ``op`` Literal, every class
declares its kind and a contract example.
"""


from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import get_args

from archcalc.ops.base import FLOP_KINDS, LAYER_KINDS, PARAM_KINDS, Ctx, Op, Shape, numel

#: op name -> (module of ``archcalc.ops``, class name); ``silu`` and ``swish`` share a class.
WHERE: dict[str, tuple[str, str]] = {
    "conv2d": ("conv", "Conv2d"),
    "conv_transpose2d": ("bridge", "ConvTranspose2d"),
    "linear": ("linear", "Linear"),
    "batchnorm": ("norm", "BatchNorm"),
    "layernorm": ("norm", "LayerNorm"),
    "groupnorm": ("norm", "GroupNorm"),
    "relu": ("activation", "Relu"),
    "relu6": ("activation", "Relu6"),
    "gelu": ("activation", "Gelu"),
    "silu": ("activation", "Silu"),
    "swish": ("activation", "Silu"),
    "sigmoid": ("activation", "Sigmoid"),
    "hardswish": ("activation", "Hardswish"),
    "hardsigmoid": ("activation", "Hardsigmoid"),
    "tanh": ("activation", "Tanh"),
    "softmax": ("activation", "Softmax"),
    "maxpool": ("pool", "MaxPool"),
    "avgpool": ("pool", "AvgPool"),
    "global_avgpool": ("pool", "GlobalAvgPool"),
    "adaptive_avgpool": ("bridge", "AdaptiveAvgPool"),
    "adaptive_maxpool": ("bridge", "AdaptiveMaxPool"),
    "mean": ("bridge", "Mean"),
    "chunk": ("bridge", "Chunk"),
    "channel_slice": ("bridge", "ChannelSlice"),
    "channel_shuffle": ("bridge", "ChannelShuffle"),
    "upsample": ("bridge", "Upsample"),
    "pad": ("bridge", "Pad"),
    "add": ("merge", "Add"),
    "concat": ("merge", "Concat"),
    "mul": ("merge", "Mul"),
    "flatten": ("shape", "Flatten"),
    "dropout": ("shape", "Dropout"),
    "drop_path": ("shape", "DropPath"),
    "identity": ("shape", "Identity"),
    "layer_scale": ("shape", "LayerScale"),
}


def _class(module: str, name: str) -> type[Op]:
    return getattr(import_module(f"{__name__}.{module}"), name)


class _Registry(Mapping[str, type[Op]]):
    """op name -> class, importing the class's module on first lookup (see :data:`WHERE`)."""

    def __init__(self, where: dict[str, tuple[str, str]]):
        self._where = where
        self._classes: dict[str, type[Op]] = {}

    def __getitem__(self, name: str) -> type[Op]:
        cls = self._classes.get(name)
        if cls is None:
            cls = self._classes[name] = _class(*self._where[name])  # (KeyError for an unknown name)
        return cls

    def get(self, name, default=None):
        """``Mapping.get`` without its exception round trip (the loader asks once per entry)."""
        return self[name] if name in self._where else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, name: object) -> bool:
        return name in self._where


#: op name -> class (a lazy mapping over :data:`WHERE`).
REGISTRY: Mapping[str, type[Op]] = _Registry(WHERE)


def _all_ops(where: dict[str, tuple[str, str]], load=_class) -> tuple[type[Op], ...]:
    """Every class of ``where``, in its order, once; the table checked against the classes: an
    op class whose ``op`` Literal is not exactly its names in the table, or without a declared
    kind or contract example, is an error."""
    names: dict[type[Op], list[str]] = {}
    for name, at in where.items():
        names.setdefault(load(*at), []).append(name)
    for cls, listed in names.items():
        if cls.kind not in LAYER_KINDS or not cls.example:
            raise TypeError(f"op class {cls.__name__} must declare its kind (one of {LAYER_KINDS}) "
                            "and a contract-test example")
        declared = list(get_args(cls.model_fields["op"].annotation))
        if sorted(declared) != sorted(listed):
            raise TypeError(f"op class {cls.__name__} declares op names {declared}, "
                            f"archcalc.ops.WHERE lists {listed}")
    return tuple(names)


def __getattr__(name: str):
    """``OPS``, every op class in :data:`WHERE`'s order, is collected (all modules imported) on first use."""
    if name == "OPS":
        ops = globals()["OPS"] = _all_ops(WHERE)
        return ops
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["OPS", "REGISTRY", "WHERE", "Op", "Ctx", "Shape", "numel", "FLOP_KINDS", "LAYER_KINDS", "PARAM_KINDS"]
