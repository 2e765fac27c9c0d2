"""Normalisation layers: batchnorm, layernorm (over channels), groupnorm.

batchnorm (``torch.nn.BatchNorm2d``, inference): ``y = (x - mean) / sqrt(var + eps) * gamma + beta``,
folded to one multiply and one add per element. Params: ``norm_affine = 2C`` (gamma, beta);
buffers: ``2C`` (running mean and variance).

layernorm (ConvNeXt's ``LayerNorm(channels_first)``, or ``nn.LayerNorm(C)`` on channels-last):
normalises the C values at every position. Per element: 4 add, 2 mul, 1 div; per position:
2 div (mean, variance), 1 add (eps), 1 exp-kind (sqrt). Params: ``2C`` when affine.

groupnorm (``torch.nn.GroupNorm``): the same counts with statistics per group.

>>> from archcalc.ops.base import Ctx
>>> BatchNorm(op="batchnorm").params([(64, 56, 56)])
{'norm_affine': 128}
>>> LayerNorm(op="layernorm").flops([(96, 56, 56)], (96, 56, 56))["div"] == 96 * 56 * 56 + 2 * 56 * 56
True
"""


from typing import ClassVar, Literal

from archcalc.errors import ShapeError
from archcalc.ops.base import Flag, NonNegative, Op, Positive, as_int, numel
from archcalc.ops.linear import positions
from archcalc.values import is_symbolic


class BatchNorm(Op):
    """Batch normalisation at inference (running statistics)."""

    op: Literal["batchnorm"]
    kind: ClassVar[str] = "norm"
    example: ClassVar[tuple] = ({}, ((4, 5, 5),))
    eps: NonNegative = 1e-5
    affine: Flag = True

    def params(self, ins):
        return {"norm_affine": 2 * ins[0][0] if self.affine else 0}

    def buffers(self, ins):
        return 2 * ins[0][0]

    def flops(self, ins, out):
        n = numel(out)
        return {"mul": n, "add": n}


def _norm_flops(n, stats, affine):
    """Per element: sum, centre, square, accumulate, divide (+ scale, shift); per statistic: mean, var, eps, sqrt."""
    return {
        "add": 3 * n + stats + (n if affine else 0),
        "mul": n + (n if affine else 0),
        "div": n + 2 * stats,
        "exp": stats,
    }


class LayerNorm(Op):
    """Layer normalisation over the channels at each position."""

    op: Literal["layernorm"]
    kind: ClassVar[str] = "norm"
    example: ClassVar[tuple] = ({}, ((4, 5, 5),))
    eps: NonNegative = 1e-6
    affine: Flag = True

    def params(self, ins):
        return {"norm_affine": 2 * ins[0][0] if self.affine else 0}

    def flops(self, ins, out):
        return _norm_flops(numel(out), positions(out), self.affine)


class GroupNorm(Op):
    """Group normalisation: statistics over (C / num_groups, H, W) per group."""

    op: Literal["groupnorm"]
    kind: ClassVar[str] = "norm"
    example: ClassVar[tuple] = ({"num_groups": 2}, ((4, 5, 5),))
    num_groups: Positive
    eps: NonNegative = 1e-5
    affine: Flag = True

    def output_shape(self, ins, ctx):
        g = as_int(self.num_groups, "groupnorm num_groups")
        c = ins[0][0]
        if not (is_symbolic(c) or is_symbolic(g)) and c % g:
            raise ShapeError(f"groupnorm: num_groups={g} does not divide channels={c}")
        return ins[0]

    def params(self, ins):
        return {"norm_affine": 2 * ins[0][0] if self.affine else 0}

    def flops(self, ins, out):
        return _norm_flops(numel(out), self.num_groups, self.affine)
