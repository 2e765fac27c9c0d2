"""Shape-only and free ops: flatten, identity, dropout, drop_path, and layer_scale.

flatten: ``[C, H, W] -> [C*H*W]``. identity, dropout and drop_path (stochastic
depth) keep the shape and cost nothing at inference. layer_scale (ConvNeXt)
multiplies each channel by a learnable scalar: ``other = C`` params, 1 mul per element.

>>> from archcalc.ops.base import Ctx
>>> Flatten(op="flatten").output_shape([(1280, 1, 1)], Ctx())
(1280,)
"""


from typing import ClassVar, Literal

from archcalc.ops.base import Flag, Number, Op, Probability, numel


class Flatten(Op):
    """``[C, H, W] -> [C*H*W]`` (``torch.nn.Flatten``); free."""

    op: Literal["flatten"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({}, ((3, 2, 2),))

    def output_shape(self, ins, ctx):
        return (numel(ins[0]),)


class Identity(Op):
    """The identity (``torch.nn.Identity``); free."""

    op: Literal["identity"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({}, ((3, 4, 4),))


class Dropout(Op):
    """Dropout: the identity at inference."""

    op: Literal["dropout"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({}, ((3, 4, 4),))
    p: Probability = 0.5


class DropPath(Op):
    """Stochastic depth on a residual branch: the identity at inference."""

    op: Literal["drop_path"]
    kind: ClassVar[str] = "shape"
    example: ClassVar[tuple] = ({}, ((3, 4, 4),))
    p: Probability = 0.0


class LayerScale(Op):
    """Per-channel learnable scale (ConvNeXt's gamma), ``x * gamma[c]``."""

    op: Literal["layer_scale"]
    kind: ClassVar[str] = "scale"
    example: ClassVar[tuple] = ({}, ((3, 4, 4),))
    init: Number = 1e-6
    #: how PyTorch stores gamma on a [C, H, W] input: ``[C, 1, 1]`` (torchvision) or, when
    #: true, a vector ``[C]`` reshaped in forward (timm's ``gamma``); the counts are the same
    vector: Flag = False

    def params(self, ins):
        return {"other": ins[0][0]}

    def flops(self, ins, out):
        return {"mul": numel(out)}
