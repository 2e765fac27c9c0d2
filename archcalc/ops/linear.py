"""linear: fully connected layer (``torch.nn.Linear``).

Shape: ``[F] -> [out_features]``; on a ``[C, H, W]`` map it acts on the channels at
every position (PyTorch's ``nn.Linear`` on a channels-last tensor, as ConvNeXt's
pointwise layers), giving ``[out_features, H, W]``.

Params: ``weights = in * out_features``; ``biases = out_features``.
MACs:   ``positions * in * out_features``.

>>> from archcalc.ops.base import Ctx
>>> fc = Linear(op="linear", out_features=1000)
>>> fc.output_shape([(1024,)], Ctx()), fc.macs([(1024,)], (1000,))
((1000,), 1024000)
"""


from typing import ClassVar, Literal

from archcalc.ops.base import Flag, Op, Positive, as_int, div, numel


class Linear(Op):
    """Fully connected layer; on a feature map it is applied per position."""

    op: Literal["linear"]
    kind: ClassVar[str] = "linear"
    example: ClassVar[tuple] = ({"out_features": 5}, ((12,),))
    out_features: Positive
    bias: Flag = True

    conv_linear: ClassVar = True

    def output_shape(self, ins, ctx):
        out = as_int(self.out_features, "linear out_features")
        return (out,) + tuple(ins[0][1:])

    def params(self, ins):
        return {"weights": ins[0][0] * self.out_features,
                "biases": self.out_features if self.bias else 0}

    def macs(self, ins, out):
        return numel(out) * ins[0][0]

    def flops(self, ins, out):
        return {"add": numel(out)} if self.bias else {}


def positions(shape):
    """Spatial positions of a per-sample shape (1 for a vector)."""
    return div(numel(shape), shape[0])
