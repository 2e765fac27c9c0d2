"""conv2d: 2-D convolution, including grouped and depthwise (``torch.nn.Conv2d``).

Shape: ``[C_in, H, W] -> [out_channels, H_out, W_out]`` with
``H_out = (H + 2*p - d*(k-1) - 1) // s + 1`` (or ``ceil(H / s)`` for ``padding: same``,
TensorFlow's rule, which may pad one more row at the bottom/right).

Params: ``weights = out_channels * k_h * k_w * C_in / groups``; ``biases = out_channels``.
MACs:   ``H_out * W_out * out_channels * k_h * k_w * C_in / groups``.

# Note [padding taps counted]
A MAC is counted for every kernel tap of every output element, taps that fall
on zero padding included — what torchvision's ``_ops``, fvcore and the papers
count, and what the executor's loops really perform.

>>> from archcalc.ops.base import Ctx
>>> c = Conv2d(op="conv2d", out_channels=64, kernel_size=3, padding=1, bias=False)
>>> c.output_shape([(32, 56, 56)], Ctx())
(64, 56, 56)
>>> c.macs([(32, 56, 56)], (64, 56, 56)) == 56 * 56 * 64 * 9 * 32
True
"""


from typing import ClassVar, Literal

from pydantic import Field

from archcalc.errors import ShapeError
from archcalc.ops.base import (
    Ctx, Flag, Op, Padding, Pair, Positive, as_int, as_pair, div, numel, same_pad, spatial, window_out,
)
from archcalc.values import is_symbolic


class WindowOp(Op):
    """Shared geometry of ops that slide a kernel: conv2d and the pools."""

    words: ClassVar = {"padding": frozenset({"same", "valid"})}

    def geometry(self):
        k = as_pair(self.kernel_size, f"{self.op} kernel_size")
        s = as_pair(self.stride if self.stride is not None else self.kernel_size, f"{self.op} stride")
        d = as_pair(getattr(self, "dilation", 1), f"{self.op} dilation")
        if self.padding in ("same", "valid"):
            p = self.padding
        else:
            p = as_pair(self.padding, f"{self.op} padding", minimum=0)
        return k, s, d, p

    def spatial_out(self, shape, ctx: Ctx):
        c, h, w = spatial(shape, self.op)
        k, s, d, p = self.geometry()
        ceil_mode = getattr(self, "ceil_mode", False)
        outs = []
        for axis, size in ((0, h), (1, w)):
            pad = "same" if p == "same" else 0 if p == "valid" else 2 * p[axis]
            outs.append(window_out(size, k[axis], s[axis], d[axis], pad, ctx, self.op, ceil_mode))
        return c, outs[0], outs[1]

    def pads(self, shape) -> tuple[int, int, int, int]:
        """Explicit (top, bottom, left, right) zero padding for a numeric input shape."""
        _, h, w = shape
        k, s, d, p = self.geometry()
        if p == "valid":
            return (0, 0, 0, 0)
        if p == "same":
            return same_pad(h, k[0], s[0], d[0]) + same_pad(w, k[1], s[1], d[1])
        return (p[0], p[0], p[1], p[1])


class Conv2d(WindowOp):
    """2-D convolution (``torch.nn.Conv2d``); ``groups: in_channels`` makes it depthwise."""

    op: Literal["conv2d"]
    kind: ClassVar[str] = "conv"
    example: ClassVar[tuple] = ({"out_channels": 8, "kernel_size": 3, "padding": 1, "groups": 2}, ((4, 7, 7),))
    out_channels: Positive
    kernel_size: Pair
    stride: Pair = 1
    padding: Padding = Field(0, description="int, [h, w], 'same' (TensorFlow) or 'valid'")
    dilation: Pair = 1
    groups: Positive = 1
    bias: Flag = True

    conv_linear: ClassVar = True


    def layer_kind(self, ins):
        """``depthwise`` (groups == input channels > 1: the one definition), ``grouped``
        (other groups > 1), ``pointwise`` (1x1, one group) or ``conv``.

        >>> Conv2d(op="conv2d", out_channels=32, kernel_size=3, groups=32).layer_kind([(32, 8, 8)])
        'depthwise'
        """
        if self.groups != 1 and self.groups == ins[0][0]:
            return "depthwise"
        if self.groups != 1:
            return "grouped"
        return "pointwise" if self.kernel_size in (1, [1, 1], (1, 1)) else "conv"

    def output_shape(self, ins, ctx):
        cin, h, w = self.spatial_out(ins[0], ctx)
        cout = as_int(self.out_channels, "conv2d out_channels")
        g = as_int(self.groups, "conv2d groups")
        for what, n in (("in_channels", cin), ("out_channels", cout)):
            if not (is_symbolic(n) or is_symbolic(g)) and n % g:
                raise ShapeError(
                    f"conv2d: groups={g} does not divide {what}={n}; "
                    f"choose groups that divides both in_channels and out_channels"
                )
        return (cout, h, w)

    def params(self, ins):
        k = as_pair(self.kernel_size, "kernel_size")
        cin = ins[0][0]
        weights = self.out_channels * k[0] * k[1] * div(cin, self.groups)
        return {"weights": weights, "biases": self.out_channels if self.bias else 0}

    def macs(self, ins, out):
        k = as_pair(self.kernel_size, "kernel_size")
        return numel(out) * k[0] * k[1] * div(ins[0][0], self.groups)

    def flops(self, ins, out):
        return {"add": numel(out)} if self.bias else {}
