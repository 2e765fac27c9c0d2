"""Pooling: maxpool, avgpool (``torch.nn.MaxPool2d``/``AvgPool2d``) and global_avgpool.

Shape: as conv2d with the channels kept; ``stride`` defaults to ``kernel_size``.
FLOPs per output element: maxpool ``k_h*k_w - 1`` compare; avgpool ``k_h*k_w - 1`` add
and 1 div (padding taps included, ``count_include_pad``); global_avgpool, per channel,
``H*W - 1`` add and 1 div. No params, no MACs.

>>> from archcalc.ops.base import Ctx
>>> MaxPool(op="maxpool", kernel_size=3, stride=2, padding=1).output_shape([(64, 112, 112)], Ctx())
(64, 56, 56)
"""


from typing import Annotated, ClassVar, Literal

from archcalc.errors import ShapeError
from archcalc.ops.base import FLAG, PAIR, Op, Padding, Pair, Raw, as_pair, numel, spatial
from archcalc.ops.conv import WindowOp


def check_pool_padding(op: WindowOp) -> None:
    """PyTorch's rule: explicit padding is at most half the (dilated) kernel on each axis."""
    k, _, d, p = op.geometry()
    if isinstance(p, str):
        return
    for axis in (0, 1):
        half = (d[axis] * (k[axis] - 1) + 1) // 2
        if p[axis] > half:
            raise ShapeError(f"{op.op}: padding {p[axis]} is more than half the kernel "
                             f"({k[axis]}); use padding <= {half}")


class MaxPool(WindowOp):
    """Max pooling (``torch.nn.MaxPool2d``): ``k_h*k_w - 1`` compare per output element."""

    op: Literal["maxpool"]
    kind: ClassVar[str] = "pool"
    example: ClassVar[tuple] = ({"kernel_size": 3, "stride": 2, "padding": 1}, ((3, 7, 7),))
    kernel_size: Pair
    stride: Annotated[Raw | None, PAIR] = None
    padding: Padding = 0
    dilation: Pair = 1
    ceil_mode: Annotated[bool, FLAG] = False

    def output_shape(self, ins, ctx):
        check_pool_padding(self)
        return self.spatial_out(ins[0], ctx)

    def flops(self, ins, out):
        k = as_pair(self.kernel_size, "kernel_size")
        return {"compare": numel(out) * (k[0] * k[1] - 1)}


class AvgPool(WindowOp):
    """Average pooling (``torch.nn.AvgPool2d``): ``k_h*k_w - 1`` add and 1 div per output element."""

    op: Literal["avgpool"]
    kind: ClassVar[str] = "pool"
    example: ClassVar[tuple] = ({"kernel_size": 2, "stride": 2}, ((3, 6, 6),))
    kernel_size: Pair
    stride: Annotated[Raw | None, PAIR] = None
    padding: Padding = 0
    ceil_mode: Annotated[bool, FLAG] = False

    def output_shape(self, ins, ctx):
        check_pool_padding(self)
        return self.spatial_out(ins[0], ctx)

    def flops(self, ins, out):
        k = as_pair(self.kernel_size, "kernel_size")
        n = numel(out)
        return {"add": n * (k[0] * k[1] - 1), "div": n}


class GlobalAvgPool(Op):
    """Average over H and W: ``[C, H, W] -> [C, 1, 1]`` (``nn.AdaptiveAvgPool2d(1)``)."""

    op: Literal["global_avgpool"]
    kind: ClassVar[str] = "pool"
    example: ClassVar[tuple] = ({}, ((3, 5, 5),))

    def output_shape(self, ins, ctx):
        c, _, _ = spatial(ins[0], "global_avgpool")
        return (c, 1, 1)

    def flops(self, ins, out):
        c, h, w = ins[0]
        return {"add": c * (h * w - 1), "div": c}
