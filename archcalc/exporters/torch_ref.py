"""The same network in PyTorch (optional): an oracle for outputs and a benchmark baseline.

:func:`torch_forward` turns a built :class:`~archcalc.graph.Network` and an
:class:`~archcalc.executor.run.Executor` that has run once (so its weights
exist) into a function ``x -> output`` made of ``torch.nn.functional`` calls on
*the same weights*. Dispatch is by op class (``TORCH_OPS``), like the executor's.
Tensors are freed when their last consumer has run, as in the executor.

PyTorch is imported here only; nothing else in archcalc needs it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from archcalc.graph import INPUT, Network
from archcalc.ops.activation import (
    Gelu,
    Hardsigmoid,
    Hardswish,
    Relu,
    Relu6,
    Sigmoid,
    Silu,
    Softmax,
    Tanh,
)
from archcalc.ops.bridge import (
    AdaptiveAvgPool, AdaptiveMaxPool, ChannelShuffle, ChannelSlice, Chunk, ConvTranspose2d, Mean, Pad, Upsample,
)
from archcalc.ops.conv import Conv2d
from archcalc.ops.linear import Linear
from archcalc.ops.merge import Add, Concat, Mul
from archcalc.ops.norm import BatchNorm, GroupNorm, LayerNorm
from archcalc.ops.pool import AvgPool, GlobalAvgPool, MaxPool
from archcalc.ops.shape import Dropout, DropPath, Flatten, Identity, LayerScale

#: op class -> (op, weights as tensors, per-sample input shape) -> (inputs -> output)
TORCH_OPS: dict[type, Callable] = {}


def torch_op(*classes):
    """Register the decorated function as the torch equivalent of ``classes`` (twice is an error)."""
    def register(fn):
        for cls in classes:
            if cls in TORCH_OPS:
                raise TypeError(f"a torch equivalent for {cls.__name__} is registered twice")
            TORCH_OPS[cls] = fn
        return fn
    return register


def _padded(op, shape, value: float):
    """(pre-pad function, symmetric padding for the torch op) from ``op.pads``."""
    pt, pb, pl, pr = op.pads(shape)
    if pt == pb and pl == pr:
        return (lambda x: x), (pt, pl)
    return (lambda x: F.pad(x, (pl, pr, pt, pb), value=value)), (0, 0)


@torch_op(Conv2d)
def _conv(op, w, shape):
    pre, pad = _padded(op, shape, 0.0)
    _, stride, dilation, _ = op.geometry()
    return lambda xs: F.conv2d(pre(xs[0]), w["weight"], w.get("bias"), stride, pad, dilation, int(op.groups))


def _channels_last(fn):
    """Apply ``fn`` over the channel axis of an NCHW tensor (as ConvNeXt does with permute)."""
    return lambda x: fn(x) if x.dim() == 2 else fn(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@torch_op(Linear)
def _linear(op, w, shape):
    f = _channels_last(lambda x: F.linear(x, w["weight"], w.get("bias")))
    return lambda xs: f(xs[0])


@torch_op(BatchNorm)
def _batchnorm(op, w, shape):
    return lambda xs: F.batch_norm(xs[0], w["running_mean"], w["running_var"], w.get("gamma"),
                                   w.get("beta"), False, 0.0, float(op.eps))


@torch_op(LayerNorm)
def _layernorm(op, w, shape):
    f = _channels_last(lambda x: F.layer_norm(x, (shape[0],), w.get("gamma"), w.get("beta"), float(op.eps)))
    return lambda xs: f(xs[0])


@torch_op(GroupNorm)
def _groupnorm(op, w, shape):
    return lambda xs: F.group_norm(xs[0], int(op.num_groups), w.get("gamma"), w.get("beta"), float(op.eps))


for _cls, _fn in ((Relu, F.relu), (Relu6, F.relu6), (Silu, F.silu), (Sigmoid, torch.sigmoid),
                  (Hardswish, F.hardswish), (Hardsigmoid, F.hardsigmoid), (Tanh, torch.tanh),
                  (Softmax, lambda x: torch.softmax(x, 1)), (Flatten, lambda x: torch.flatten(x, 1)),
                  (GlobalAvgPool, lambda x: x.mean((2, 3), keepdim=True)),
                  (Identity, lambda x: x), (Dropout, lambda x: x), (DropPath, lambda x: x)):
    torch_op(_cls)(lambda op, w, shape, _fn=_fn: (lambda xs: _fn(xs[0])))


@torch_op(Gelu)
def _gelu(op, w, shape):
    return lambda xs: F.gelu(xs[0], approximate=op.approximate)


@torch_op(MaxPool)
def _maxpool(op, w, shape):
    pre, pad = _padded(op, shape, float("-inf"))
    k, s, d, _ = op.geometry()
    return lambda xs: F.max_pool2d(pre(xs[0]), k, s, pad, d, bool(op.ceil_mode))


@torch_op(AvgPool)
def _avgpool(op, w, shape):
    pre, pad = _padded(op, shape, 0.0)
    k, s, _, _ = op.geometry()
    return lambda xs: F.avg_pool2d(pre(xs[0]), k, s, pad, bool(op.ceil_mode), count_include_pad=True)


@torch_op(Add)
def _add(op, w, shape):
    return lambda xs: sum(xs[1:], xs[0])


@torch_op(Concat)
def _concat(op, w, shape):
    return lambda xs: torch.cat(xs, 1)


@torch_op(Mul)
def _mul(op, w, shape):
    return lambda xs: xs[0] * xs[1]


@torch_op(LayerScale)
def _layer_scale(op, w, shape):
    g = w["gamma"].view(1, -1, 1, 1)
    return lambda xs: xs[0] * (g if xs[0].dim() == 4 else g.view(1, -1))


@torch_op(AdaptiveAvgPool, AdaptiveMaxPool)
def _adaptive(op, w, shape):
    size = tuple(int(v) for v in op.output_shape([shape], None)[1:])
    fn = F.adaptive_avg_pool2d if isinstance(op, AdaptiveAvgPool) else F.adaptive_max_pool2d
    return lambda xs: fn(xs[0], size)


@torch_op(Chunk)
def _chunk(op, w, shape):
    return lambda xs: xs[0].chunk(int(op.chunks), 1)[int(op.index)]


@torch_op(ChannelSlice)
def _channel_slice(op, w, shape):
    start, stop = op.bounds(shape[0])
    return lambda xs: xs[0][:, start:stop]


@torch_op(ChannelShuffle)
def _channel_shuffle(op, w, shape):
    return lambda xs: F.channel_shuffle(xs[0], int(op.groups))


@torch_op(Mean)
def _mean(op, w, shape):
    return lambda xs: xs[0].mean((2, 3), keepdim=bool(op.keepdim))


@torch_op(ConvTranspose2d)
def _conv_transpose(op, w, shape):
    k, s, d, p = op.geometry()
    from archcalc.ops.base import as_pair

    o = as_pair(op.output_padding, "output_padding", minimum=0)
    return lambda xs: F.conv_transpose2d(xs[0], w["weight"], w.get("bias"), s, p, o, int(op.groups), d)


@torch_op(Upsample)
def _upsample(op, w, shape):
    if op.mode == "nearest":
        return lambda xs: F.interpolate(xs[0], scale_factor=int(op.scale_factor), mode="nearest")
    return lambda xs: F.interpolate(xs[0], scale_factor=int(op.scale_factor), mode="bilinear",
                                    align_corners=bool(op.align_corners))


@torch_op(Pad)
def _pad(op, w, shape):
    left, top, right, bottom = op.pads_ltrb()
    return lambda xs: F.pad(xs[0], (left, right, top, bottom), value=float(op.value))


def torch_forward(net: Network, executor) -> Callable:
    """``x (torch NCHW float32) -> output`` over the weights of ``executor`` (an
    :class:`archcalc.executor.Executor` that has run once; only its ``params`` are read)."""
    steps = []
    for lay, params in zip(net.layers, executor.params):
        w = {k: torch.from_numpy(a) for k, a in params.arrays.items()}
        if not w and params.kinds:
            raise ValueError("the executor's weights were released; use keep_weights=True and run it once")
        steps.append((lay.name, lay.inputs, TORCH_OPS[type(lay.op)](lay.op, w, lay.in_shapes[0])))
    consumers = net.consumer_counts()

    def forward(x):
        pending = dict(consumers)
        live = {INPUT: x}
        y = x
        for name, inputs, fn in steps:
            y = fn([live[s] for s in inputs])
            live[name] = y
            for src in set(inputs) | {name}:
                if src != name:
                    pending[src] -= 1
                if pending[src] == 0:
                    del live[src]
        return y

    return forward
