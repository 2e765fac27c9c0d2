"""The op registry: one tuple of op classes; everything else is derived from it.

Adding an op is one class in one module here, added to ``OPS`` below, plus its
tests (the contract test in tests/ops picks it up automatically).
"""

from __future__ import annotations

from typing import get_args

from archcalc.ops.activation import (
    Gelu, Hardsigmoid, Hardswish, Relu, Relu6, Sigmoid, Silu, Softmax, Tanh,
)
from archcalc.ops.bridge import (
    AdaptiveAvgPool, AdaptiveMaxPool, ChannelShuffle, Chunk, ConvTranspose2d, Mean, Pad, Upsample,
)
from archcalc.ops.base import FLOP_KINDS, PARAM_KINDS, Ctx, Op, Shape, numel
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
    Chunk, ChannelShuffle, Upsample, Pad,
    Add, Concat, Mul,
    Flatten, Dropout, DropPath, Identity, LayerScale,
)

#: op name -> class, derived from OPS (``silu`` and ``swish`` share a class).
REGISTRY: dict[str, type[Op]] = {
    name: cls for cls in OPS for name in get_args(cls.model_fields["op"].annotation)
}

__all__ = ["OPS", "REGISTRY", "Op", "Ctx", "Shape", "numel", "FLOP_KINDS", "PARAM_KINDS"]
