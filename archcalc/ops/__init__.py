"""The op registry: one tuple of op classes; everything else is derived from it.

Adding an op is one class in one module here (its formulas, its ``kind`` and a contract
``example``), added to ``OPS`` below, plus its executor kernel (``archcalc.executor.dispatch``)
and torch equivalent (``archcalc.exporters.torch_ref``); the contract tests fail until all exist.
"""


from typing import get_args

from archcalc.ops.activation import (
    Gelu, Hardsigmoid, Hardswish, Relu, Relu6, Sigmoid, Silu, Softmax, Tanh,
)
from archcalc.ops.bridge import (
    AdaptiveAvgPool, AdaptiveMaxPool, ChannelShuffle, ChannelSlice, Chunk, ConvTranspose2d, Mean, Pad, Upsample,
)
from archcalc.ops.base import FLOP_KINDS, LAYER_KINDS, PARAM_KINDS, Ctx, Op, Shape, numel
from archcalc.ops.conv import Conv2d
from archcalc.ops.linear import Linear
from archcalc.ops.merge import Add, Concat, Mul
from archcalc.ops.norm import BatchNorm, GroupNorm, LayerNorm
from archcalc.ops.pool import AvgPool, GlobalAvgPool, MaxPool
from archcalc.ops.shape import DropPath, Dropout, Flatten, Identity, LayerScale

OPS: tuple[type[Op], ...] = (
    Conv2d, ConvTranspose2d, Linear,
    BatchNorm, LayerNorm, GroupNorm,
    Relu, Relu6, Gelu, Silu, Sigmoid, Hardswish, Hardsigmoid, Tanh, Softmax,
    MaxPool, AvgPool, GlobalAvgPool, AdaptiveAvgPool, AdaptiveMaxPool, Mean,
    Chunk, ChannelSlice, ChannelShuffle, Upsample, Pad,
    Add, Concat, Mul,
    Flatten, Dropout, DropPath, Identity, LayerScale,
)



def _registry(ops: tuple[type[Op], ...]) -> dict[str, type[Op]]:
    """op name -> class; a class listed twice, an op name claimed twice or an op without a
    declared kind or contract example is an error at import."""
    out: dict[str, type[Op]] = {}
    if len(set(ops)) != len(ops):
        raise TypeError("an op class is listed twice in OPS")
    for cls in ops:
        if cls.kind not in LAYER_KINDS or not cls.example:
            raise TypeError(f"op class {cls.__name__} must declare its kind (one of {LAYER_KINDS}) "
                            "and a contract-test example")
        for name in get_args(cls.model_fields["op"].annotation):
            if name in out:
                raise TypeError(f"op name '{name}' is registered twice ({out[name].__name__}, {cls.__name__})")
            out[name] = cls
    return out


#: op name -> class, derived from OPS (``silu`` and ``swish`` share a class).
REGISTRY: dict[str, type[Op]] = _registry(OPS)

__all__ = ["OPS", "REGISTRY", "Op", "Ctx", "Shape", "numel", "FLOP_KINDS", "LAYER_KINDS", "PARAM_KINDS"]
