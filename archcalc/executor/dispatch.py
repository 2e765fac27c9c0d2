"""Op -> kernel dispatch: seeded weights shaped from the op's fields and the arrays received.

``KERNELS`` maps every op class of ``archcalc.ops.OPS`` to a small function
``(op, inputs, params) -> (output, macs)`` registered with :func:`kernel`; each
builds its weights through :class:`Params` (which counts them by kind) and calls
one kernel of :mod:`archcalc.executor.kernels`. No static cost formula is used:
input channels are ``x.shape[1]`` of the array received, MACs are the kernel's count.
The contract test (tests/executor/test_contract.py) checks every registered op.

>>> import numpy as np
>>> from archcalc.ops.conv import Conv2d
>>> p = Params(np.random.default_rng(0))
>>> y, macs = KERNELS[Conv2d](Conv2d(op="conv2d", out_channels=8, kernel_size=3, padding=1),
...                          [np.ones((1, 4, 5, 5), np.float32)], p)
>>> y.shape, macs, p.by_kind()
((1, 8, 5, 5), 7200, {'weights': 288, 'biases': 8})
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from archcalc.executor import kernels as K
from archcalc.ops import Op
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

_F32 = np.float32


class Params:
    """The weights of one layer: created (seeded) on first use, then reused, counted by kind.

    Kinds follow DESIGN.md: ``weights``, ``biases``, ``norm_affine``, ``other``
    (learnable) and ``buffers`` (BN running statistics, not learnable).
    """

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.arrays: dict[str, np.ndarray] = {}
        self.kinds: dict[str, str] = {}

    def get(self, key: str, kind: str, shape: tuple, init: Callable) -> np.ndarray:
        """The array ``key`` of ``shape``; ``init(rng, shape)`` makes it the first time."""
        a = self.arrays.get(key)
        if a is None:
            a = np.ascontiguousarray(init(self.rng, shape), dtype=_F32)
            self.arrays[key] = a
            self.kinds[key] = kind
        elif a.shape != tuple(shape):
            raise ValueError(f"parameter '{key}' was made as {a.shape}, now requested as {tuple(shape)}")
        return a

    def by_kind(self) -> dict[str, int]:
        """Elements allocated per kind (kinds with no arrays omitted)."""
        out: dict[str, int] = {}
        for key, a in self.arrays.items():
            out[self.kinds[key]] = out.get(self.kinds[key], 0) + int(a.size)
        return out


_POOL_SIZE = 1_000_003  # a prime, so cyclic reads from two offsets rarely line up
_POOL: list[np.ndarray] = []


def standard_normal(rng: np.random.Generator, shape: tuple, scale: float = 1.0) -> np.ndarray:
    """Pseudo-random N(0, scale^2) float32 values, cheaply: a cyclic read of a fixed seeded pool
    of N(0, 1) values from an offset drawn from ``rng``, times ``scale`` (drawing 10^8 fresh
    normals for a large network costs seconds; this costs one write pass over the array: the
    first period is scaled as it is read, longer arrays then copy their own filled prefix)."""
    if not _POOL:
        _POOL.append(np.random.default_rng(20240611).standard_normal(_POOL_SIZE, dtype=_F32))
    pool, n = _POOL[0], math.prod(shape)
    start = int(rng.integers(_POOL_SIZE))
    out = np.empty(n, _F32)
    head = min(n, _POOL_SIZE - start)
    f = _F32(scale)
    np.multiply(pool[start:start + head], f, out=out[:head])
    np.multiply(pool[:min(n, _POOL_SIZE) - head], f, out=out[head:min(n, _POOL_SIZE)])
    done = min(n, _POOL_SIZE)
    while done < n:  # the sequence has period _POOL_SIZE: double the filled prefix
        k = min(done, n - done)
        out[done:done + k] = out[:k]
        done += k
    return out.reshape(shape)


def he_normal(fan_in: int) -> Callable:
    """N(0, 2 / fan_in): keeps activations O(1) through deep ReLU stacks."""
    return lambda rng, shape: standard_normal(rng, shape, math.sqrt(2.0 / fan_in))


def normal(mean: float, std: float) -> Callable:
    return lambda rng, shape: _F32(mean) + _F32(std) * standard_normal(rng, shape)


def constant(value: float) -> Callable:
    return lambda rng, shape: np.full(shape, value, dtype=_F32)


# ------------------------------------------------------------- kernels --
Kernel = Callable[[Op, list, Params], tuple]
KERNELS: dict[type[Op], Kernel] = {}


def kernel(*classes: type[Op]) -> Callable[[Kernel], Kernel]:
    """Register the decorated function as the executor of ``classes`` (twice is an error)."""
    def register(fn: Kernel) -> Kernel:
        for cls in classes:
            if cls in KERNELS:
                raise TypeError(f"an executor kernel for {cls.__name__} is registered twice")
            KERNELS[cls] = fn
        return fn
    return register


def _bias(op, p: Params, n: int):
    return p.get("bias", "biases", (n,), normal(0.0, 0.1)) if op.bias else None


@kernel(Conv2d)
def _conv2d(op: Conv2d, xs, p: Params):
    x = xs[0]
    (kh, kw), stride, dilation, _ = op.geometry()
    cin, g, cout = x.shape[1], int(op.groups), int(op.out_channels)
    w = p.get("weight", "weights", (cout, cin // g, kh, kw), he_normal(cin // g * kh * kw))
    return K.conv2d(x, w, _bias(op, p, cout), stride, op.pads(x.shape[1:]), dilation, g)


@kernel(Linear)
def _linear(op: Linear, xs, p: Params):
    x = xs[0]
    n_in, n_out = x.shape[1], int(op.out_features)
    w = p.get("weight", "weights", (n_out, n_in), he_normal(n_in))
    return K.linear(x, w, _bias(op, p, n_out))


def _affine(op, p: Params, c: int):
    """(gamma, beta): learnable ``norm_affine`` arrays, or fixed 1 and 0 when not affine."""
    if op.affine:
        return (p.get("gamma", "norm_affine", (c,), normal(1.0, 0.1)),
                p.get("beta", "norm_affine", (c,), normal(0.0, 0.1)))
    return np.ones(c, _F32), np.zeros(c, _F32)


def _calibrated(x: np.ndarray, stat: str, stats: dict) -> Callable:
    """Running statistics taken from the first batch seen (a data-dependent init).

    With fixed random statistics a deep pre-activation network (PreAct-ResNet-1001:
    333 residual adds, nothing normalising the sum) doubles its activations at every
    add and overflows float32; calibrated statistics keep every branch O(1). Where a
    channel has a single value per batch (1x1 maps, batch 1) the variance is 1. Mean and
    variance come from one pass over ``x`` (kernels.channel_stats), shared through ``stats``.
    """
    def init(rng, shape):
        if not stats:
            stats["mean"], stats["var"] = K.channel_stats(x)
        if stat == "var" and x.size // x.shape[1] < 2:
            return np.ones(shape)
        return stats[stat]
    return init


@kernel(BatchNorm)
def _batchnorm(op: BatchNorm, xs, p: Params):
    x = xs[0]
    c = x.shape[1]
    gamma, beta = _affine(op, p, c)
    stats: dict = {}
    mean = p.get("running_mean", "buffers", (c,), _calibrated(x, "mean", stats))
    var = p.get("running_var", "buffers", (c,), _calibrated(x, "var", stats))
    return K.batchnorm(x, gamma, beta, mean, var, float(op.eps))


@kernel(LayerNorm)
def _layernorm(op: LayerNorm, xs, p: Params):
    gamma, beta = _affine(op, p, xs[0].shape[1])
    return K.layernorm_channels(xs[0], gamma, beta, float(op.eps))


@kernel(GroupNorm)
def _groupnorm(op: GroupNorm, xs, p: Params):
    gamma, beta = _affine(op, p, xs[0].shape[1])
    return K.groupnorm(xs[0], int(op.num_groups), gamma, beta, float(op.eps))


def _pointwise(fn: Callable) -> Kernel:
    """A kernel for a parameter-free one-input op."""
    return lambda op, xs, p: fn(xs[0])


for _cls, _fn in ((Relu, K.relu), (Relu6, K.relu6), (Silu, K.silu), (Sigmoid, K.sigmoid),
                  (Hardswish, K.hardswish), (Hardsigmoid, K.hardsigmoid), (Tanh, K.tanh),
                  (Softmax, K.softmax), (GlobalAvgPool, K.global_avgpool), (Flatten, K.flatten)):
    kernel(_cls)(_pointwise(_fn))


@kernel(Gelu)
def _gelu(op: Gelu, xs, p: Params):
    return K.gelu_tanh(xs[0]) if op.approximate == "tanh" else K.gelu(xs[0])


@kernel(Identity, Dropout, DropPath)
def _identity(op, xs, p: Params):
    """Inference-time identity; a copy, since no in-place reuse is assumed."""
    return xs[0].copy(), 0


@kernel(MaxPool)
def _maxpool(op: MaxPool, xs, p: Params):
    k, s, d, _ = op.geometry()
    return K.maxpool2d(xs[0], k, s, op.pads(xs[0].shape[1:]), d, bool(op.ceil_mode))


@kernel(AvgPool)
def _avgpool(op: AvgPool, xs, p: Params):
    """Average pooling, padding taps counted in the divisor (PyTorch's count_include_pad).

    With ``ceil_mode`` a last window may run past the padded input; PyTorch then
    divides by the taps inside the padded input, which is done here by summing
    over an extended zero padding and dividing by those counts.
    """
    x = xs[0]
    (kh, kw), (sh, sw), _, _ = op.geometry()
    pt, pb, pl, pr = op.pads(x.shape[1:])
    h, w = x.shape[2:]
    ho = K._window_out(h, kh, sh, pt, pb, 1, bool(op.ceil_mode))
    wo = K._window_out(w, kw, sw, pl, pr, 1, bool(op.ceil_mode))
    eb = max(0, (ho - 1) * sh + kh - (h + pt + pb))
    er = max(0, (wo - 1) * sw + kw - (w + pl + pr))
    if eb == er == 0:
        return K.avgpool2d(x, (kh, kw), (sh, sw), (pt, pb, pl, pr), count_include_pad=True)
    y, macs = K.avgpool2d(x, (kh, kw), (sh, sw), (pt, pb + eb, pl, pr + er), count_include_pad=True)
    rows = np.minimum(np.arange(ho) * sh + kh, h + pt + pb) - np.arange(ho) * sh
    cols = np.minimum(np.arange(wo) * sw + kw, w + pl + pr) - np.arange(wo) * sw
    y *= _F32(kh * kw) / np.outer(rows, cols).astype(_F32)
    return y, macs


@kernel(Add)
def _add(op, xs, p: Params):
    return K.add(*xs)


@kernel(Concat)
def _concat(op, xs, p: Params):
    return K.concat(xs)


@kernel(Mul)
def _mul(op, xs, p: Params):
    return K.mul(xs[0], xs[1])


@kernel(LayerScale)
def _layer_scale(op: LayerScale, xs, p: Params):
    gamma = p.get("gamma", "other", (xs[0].shape[1],), constant(float(op.init)))
    return K.layer_scale(xs[0], gamma)


@kernel(AdaptiveAvgPool, AdaptiveMaxPool)
def _adaptive_pool(op, xs, p: Params):
    mode = "avg" if isinstance(op, AdaptiveAvgPool) else "max"
    return K.adaptive_pool2d(xs[0], tuple(int(v) for v in op.output_shape([xs[0].shape[1:]], None)[1:]), mode)


@kernel(Chunk)
def _chunk(op: Chunk, xs, p: Params):
    start, stop = op.bounds(xs[0].shape[1])
    return K.chunk(xs[0], start, stop)


@kernel(ChannelSlice)
def _channel_slice(op: ChannelSlice, xs, p: Params):
    start, stop = op.bounds(xs[0].shape[1])
    return K.chunk(xs[0], start, stop)


@kernel(ChannelShuffle)
def _channel_shuffle(op: ChannelShuffle, xs, p: Params):
    return K.channel_shuffle(xs[0], int(op.groups))


@kernel(Mean)
def _mean(op: Mean, xs, p: Params):
    return K.mean_hw(xs[0], bool(op.keepdim))


@kernel(ConvTranspose2d)
def _conv_transpose2d(op: ConvTranspose2d, xs, p: Params):
    x = xs[0]
    (kh, kw), stride, dilation, padding = op.geometry()
    cin, g, cout = x.shape[1], int(op.groups), int(op.out_channels)
    w = p.get("weight", "weights", (cin, cout // g, kh, kw), he_normal(cin // g * kh * kw))
    from archcalc.ops.base import as_pair

    return K.conv_transpose2d(x, w, _bias(op, p, cout), stride, padding,
                              as_pair(op.output_padding, "output_padding", minimum=0), dilation, g)


@kernel(Upsample)
def _upsample(op: Upsample, xs, p: Params):
    return K.upsample(xs[0], int(op.scale_factor), op.mode, bool(op.align_corners))


@kernel(Pad)
def _pad(op: Pad, xs, p: Params):
    left, top, right, bottom = op.pads_ltrb()
    return K.pad(xs[0], left, top, right, bottom, float(op.value))
