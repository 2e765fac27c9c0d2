"""Ops the PyTorch/ONNX bridges need: adaptive pools, chunk, channel_shuffle, mean,
conv_transpose2d, upsample, pad.

adaptive_avgpool / adaptive_maxpool (``nn.AdaptiveAvgPool2d(output_size)``): output
``[C, oh, ow]``; output cell ``(i, j)`` reduces rows ``floor(i*H/oh) .. ceil((i+1)*H/oh)``
and the same columns (PyTorch's regions, which overlap when ``H`` is not a multiple of
``oh`` and repeat rows when ``H < oh``). With ``R = sum_i rows_i`` and ``S = sum_j cols_j``
the taps per channel are ``R * S``: avg costs add ``C*(R*S - oh*ow)`` and div ``C*oh*ow``;
max costs compare ``C*(R*S - oh*ow)``. In the ideal model ``R = H``, ``S = W``.

chunk (``x.chunk(chunks, 1)[index]``): channel slice ``index`` of ``ceil(C / chunks)``
channels (the last one may be smaller); free. channel_slice (``x[:, start:stop]``): those
channels; free. channel_shuffle (ShuffleNet,
``F.channel_shuffle(x, groups)``): a channel permutation; free. mean (``x.mean((2, 3))``):
``[C]`` (or ``[C, 1, 1]`` with ``keepdim``), costs as global_avgpool.

>>> from archcalc.ops.base import Ctx
>>> AdaptiveAvgPool(op="adaptive_avgpool", output_size=7).output_shape([(512, 2, 2)], Ctx())
(512, 7, 7)
>>> AdaptiveAvgPool(op="adaptive_avgpool", output_size=7).flops([(512, 2, 2)], (512, 7, 7))
{'add': 7680, 'div': 25088}
>>> Chunk(op="chunk", chunks=2, index=1).output_shape([(116, 28, 28)], Ctx())
(58, 28, 28)
"""


from typing import Annotated, ClassVar, Literal

from archcalc.errors import ShapeError
from archcalc.ops.base import CHOICE, FLAG, Count, Flag, Number, Op, Padding, Pair, Positive, spatial
from archcalc.values import as_int, as_pair, div, is_symbolic


def adaptive_extents(size: int, out: int) -> list[int]:
    """PyTorch's adaptive-pool region sizes along one axis.

    >>> adaptive_extents(5, 3)
    [2, 3, 2]
    """
    return [-(-((i + 1) * size) // out) - (i * size) // out for i in range(out)]


class _AdaptivePool(Op):
    output_size: Pair

    def output_shape(self, ins, ctx):
        c, _, _ = spatial(ins[0], self.op)
        oh, ow = as_pair(self.output_size, f"{self.op} output_size")
        return (c, oh, ow)

    def taps(self, ins, out):
        """(taps per channel, output cells per channel)."""
        c, h, w = ins[0]
        _, oh, ow = out
        if any(is_symbolic(v) for v in (h, w, oh, ow)):
            return h * w, oh * ow
        return sum(adaptive_extents(h, oh)) * sum(adaptive_extents(w, ow)), oh * ow


class AdaptiveAvgPool(_AdaptivePool):
    """Adaptive average pooling to ``output_size`` (``nn.AdaptiveAvgPool2d``)."""

    op: Literal["adaptive_avgpool"]
    kind: ClassVar[str] = "pool"
    example: ClassVar[tuple] = ({"output_size": 3}, ((3, 7, 7),))

    def flops(self, ins, out):
        taps, cells = self.taps(ins, out)
        c = ins[0][0]
        return {"add": c * (taps - cells), "div": c * cells}


class AdaptiveMaxPool(_AdaptivePool):
    """Adaptive max pooling to ``output_size`` (``nn.AdaptiveMaxPool2d``)."""

    op: Literal["adaptive_maxpool"]
    kind: ClassVar[str] = "pool"
    example: ClassVar[tuple] = ({"output_size": [2, 3]}, ((3, 5, 7),))

    def flops(self, ins, out):
        taps, cells = self.taps(ins, out)
        return {"compare": ins[0][0] * (taps - cells)}


class Chunk(Op):
    """One piece of ``x.chunk(chunks, dim=1)``: a channel slice; free."""

    op: Literal["chunk"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({"chunks": 2, "index": 1}, ((5, 3, 3),))
    chunks: Positive
    index: Count = 0

    def bounds(self, c):
        n = as_int(self.chunks, "chunk chunks")
        i = as_int(self.index, "chunk index", minimum=0)
        if is_symbolic(c):
            return div(c, n) * i, div(c, n) * (i + 1)
        size = -(-c // n)
        if i * size >= c:
            raise ShapeError(f"chunk: {c} channels in chunks of {size} have no piece {i}; "
                             f"use an index below {-(-c // size)}")
        return i * size, min(c, (i + 1) * size)

    def output_shape(self, ins, ctx):
        start, stop = self.bounds(ins[0][0])
        return (stop - start,) + tuple(ins[0][1:])


class ChannelSlice(Op):
    """Channels ``start:stop`` of the input (``x[:, start:stop]``, timm's RexNet and GhostNet); free.

    Unlike Python's slicing nothing is clamped: ``stop`` beyond the channels is an error."""

    op: Literal["channel_slice"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({"start": 1, "stop": 4}, ((5, 3, 3),))
    start: Count = 0
    stop: Positive

    def bounds(self, c):
        start = as_int(self.start, "channel_slice start", minimum=0)
        stop = as_int(self.stop, "channel_slice stop", minimum=1)
        if not is_symbolic(c) and not start < stop <= c:
            raise ShapeError(f"channel_slice: channels {start}:{stop} of an input with {c}; "
                             f"need 0 <= start < stop <= {c}")
        return start, stop

    def output_shape(self, ins, ctx):
        start, stop = self.bounds(ins[0][0])
        return (stop - start,) + tuple(ins[0][1:])


class ChannelShuffle(Op):
    """ShuffleNet's channel shuffle with ``groups`` groups; free."""

    op: Literal["channel_shuffle"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({"groups": 2}, ((4, 3, 3),))
    groups: Positive

    def output_shape(self, ins, ctx):
        c = spatial(ins[0], "channel_shuffle")[0]
        g = as_int(self.groups, "channel_shuffle groups")
        if not is_symbolic(c) and c % g:
            raise ShapeError(f"channel_shuffle: groups={g} does not divide channels={c}")
        return ins[0]


class Mean(Op):
    """Mean over H and W (``x.mean((2, 3))``): ``[C]``, or ``[C, 1, 1]`` with ``keepdim``."""

    op: Literal["mean"]
    kind: ClassVar[str] = "pool"
    example: ClassVar[tuple] = ({}, ((3, 4, 4),))
    keepdim: Flag = False

    def output_shape(self, ins, ctx):
        c, _, _ = spatial(ins[0], "mean")
        return (c, 1, 1) if self.keepdim else (c,)

    def flops(self, ins, out):
        c, h, w = ins[0]
        return {"add": c * (h * w - 1), "div": c}


class ConvTranspose2d(Op):
    """Transposed convolution (``nn.ConvTranspose2d``), zero-padded input taps not counted.

    Shape: ``H_out = (H - 1)*s - 2p + d*(k - 1) + output_padding + 1``. Params: weights
    ``C_in * C_out/g * k_h * k_w``, biases ``C_out``. MACs: every input element times its
    ``C_out/g * k_h * k_w`` kernel taps, ``C_in * H * W * C_out/g * k_h * k_w`` (what PyTorch's
    FlopCounterMode counts: the convolution's input-gradient product).
    """

    op: Literal["conv_transpose2d"]
    kind: ClassVar[str] = "conv"
    example: ClassVar[tuple] = ({"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, ((4, 5, 5),))
    out_channels: Positive
    kernel_size: Pair
    stride: Pair = 1
    padding: Padding = 0
    output_padding: Count = 0
    dilation: Pair = 1
    groups: Positive = 1
    bias: Flag = True

    conv_linear: ClassVar = True

    def geometry(self):
        return (as_pair(self.kernel_size, "conv_transpose2d kernel_size"), as_pair(self.stride, "conv_transpose2d stride"),
                as_pair(self.dilation, "conv_transpose2d dilation"),
                as_pair(self.padding, "conv_transpose2d padding", minimum=0))

    def output_shape(self, ins, ctx):
        c, h, w = spatial(ins[0], "conv_transpose2d")
        k, s, d, p = self.geometry()
        op_ = as_pair(self.output_padding, "conv_transpose2d output_padding", minimum=0)
        g = as_int(self.groups, "conv_transpose2d groups")
        cout = as_int(self.out_channels, "conv_transpose2d out_channels")
        for what, n in (("in_channels", c), ("out_channels", cout)):
            if not (is_symbolic(n) or is_symbolic(g)) and n % g:
                raise ShapeError(f"conv_transpose2d: groups={g} does not divide {what}={n}")
        for axis in (0, 1):
            if not is_symbolic(op_[axis]) and op_[axis] >= max(s[axis], d[axis]):
                raise ShapeError(f"conv_transpose2d: output_padding {op_[axis]} must be smaller than the stride or dilation")
        outs = [(size - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + op_[a] + 1 for a, size in ((0, h), (1, w))]
        for o in outs:
            if not is_symbolic(o) and o < 1:
                raise ShapeError(f"conv_transpose2d: output size {o} < 1; use less padding")
        return (cout, outs[0], outs[1])

    def params(self, ins):
        k = as_pair(self.kernel_size, "kernel_size")
        return {"weights": ins[0][0] * div(self.out_channels, self.groups) * k[0] * k[1],
                "biases": self.out_channels if self.bias else 0}

    def macs(self, ins, out):
        k = as_pair(self.kernel_size, "kernel_size")
        c, h, w = ins[0]
        return c * h * w * div(self.out_channels, self.groups) * k[0] * k[1]

    def flops(self, ins, out):
        return {"add": out[0] * out[1] * out[2]} if self.bias else {}


class Upsample(Op):
    """Upsampling by an integer ``scale_factor`` (``nn.Upsample``): ``nearest`` copies (free);
    ``bilinear`` (``align_corners`` false or true) is 4 mul and 3 add per output element."""

    op: Literal["upsample"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({"scale_factor": 2, "mode": "bilinear"}, ((3, 4, 4),))
    scale_factor: Positive = 2
    mode: Annotated[Literal["nearest", "bilinear"], CHOICE] = "nearest"
    align_corners: Annotated[bool, FLAG] = False

    def output_shape(self, ins, ctx):
        c, h, w = spatial(ins[0], "upsample")
        f = as_int(self.scale_factor, "upsample scale_factor")
        return (c, h * f, w * f)

    def flops(self, ins, out):
        if self.mode == "nearest":
            return {}
        n = out[0] * out[1] * out[2]
        return {"mul": 4 * n, "add": 3 * n}


class Pad(Op):
    """Constant padding (``F.pad(x, (left, right, top, bottom), value)``); free.

    ``padding``: an int (all sides), ``[h, w]`` (top = bottom, left = right) or
    ``[left, right, top, bottom]`` (PyTorch's order).
    """

    op: Literal["pad"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({"padding": [1, 0, 2, 1]}, ((3, 4, 4),))
    padding: Padding
    value: Number = 0

    def pads_ltrb(self):
        p = self.padding
        if isinstance(p, list) and len(p) == 4:
            vals = [as_int(v, "pad padding", minimum=0) for v in p]
            return vals[0], vals[2], vals[1], vals[3]  # left, top, right, bottom
        ph, pw = as_pair(p, "pad padding", minimum=0)
        return pw, ph, pw, ph

    def output_shape(self, ins, ctx):
        c, h, w = spatial(ins[0], "pad")
        left, top, right, bottom = self.pads_ltrb()
        return (c, h + top + bottom, w + left + right)
