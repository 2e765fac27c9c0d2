"""Pointwise activations: one formula family, a table of FLOPs per element.

Each activation keeps the shape, has no parameters and costs, per element, the
operations in its ``per_element`` table (docs/conventions.md):

=============  ==========================================  ===========================
op             definition                                  per element
=============  ==========================================  ===========================
relu           max(x, 0)                                   1 compare
relu6          min(max(x, 0), 6)                           2 compare
sigmoid        1 / (1 + exp(-x))                           1 exp, 1 add, 1 div
silu / swish   x * sigmoid(x)                              1 exp, 1 add, 1 div, 1 mul
tanh           tanh(x)                                     1 exp
gelu           x * Phi(x) = x/2 * (1 + erf(x / sqrt 2))    1 exp, 1 add, 3 mul
gelu (tanh)    x/2 (1 + tanh(sqrt(2/pi)(x + .044715 x^3)))  1 exp, 2 add, 6 mul
hardswish      x * relu6(x + 3) / 6                        1 add, 2 compare, 2 mul
hardsigmoid    relu6(x + 3) / 6                            1 add, 2 compare, 1 mul
=============  ==========================================  ===========================

softmax (over channels at each position): per element 1 compare, 2 add, 1 exp, 1 div.

>>> Relu(op="relu").flops([(8, 2, 2)], (8, 2, 2))
{'compare': 32}
"""


from typing import Annotated, ClassVar, Literal

from archcalc.ops.base import CHOICE, Op, numel


class Activation(Op):
    """A pointwise activation: shape kept, FLOPs = numel x ``per_element``."""

    kind: ClassVar[str] = "activation"
    example: ClassVar[tuple] = ({}, ((3, 4, 4),))

    per_element: ClassVar[dict[str, int]] = {}

    def flops(self, ins, out):
        n = numel(out)
        return {kind: k * n for kind, k in self.per_element.items()}


class Relu(Activation):
    """ReLU, ``max(x, 0)`` (``torch.nn.ReLU``): 1 compare per element."""

    op: Literal["relu"]
    per_element: ClassVar = {"compare": 1}


class Relu6(Activation):
    """ReLU6, ``min(max(x, 0), 6)`` (``torch.nn.ReLU6``): 2 compare per element."""

    op: Literal["relu6"]
    per_element: ClassVar = {"compare": 2}


class Sigmoid(Activation):
    """Logistic sigmoid ``1 / (1 + exp(-x))``: 1 exp, 1 add, 1 div per element."""

    op: Literal["sigmoid"]
    per_element: ClassVar = {"exp": 1, "add": 1, "div": 1}


class Silu(Activation):
    """SiLU, also called swish: ``x * sigmoid(x)``."""

    op: Literal["silu", "swish"]
    per_element: ClassVar = {"exp": 1, "add": 1, "div": 1, "mul": 1}


class Tanh(Activation):
    """Hyperbolic tangent; one transcendental, counted as 1 exp per element."""

    op: Literal["tanh"]
    per_element: ClassVar = {"exp": 1}


class Gelu(Activation):
    """GELU, ``x * Phi(x)``; ``approximate: tanh`` selects the tanh approximation."""

    op: Literal["gelu"]
    approximate: Annotated[Literal["none", "tanh"], CHOICE] = "none"

    def flops(self, ins, out):
        n = numel(out)
        if self.approximate == "tanh":
            return {"exp": n, "add": 2 * n, "mul": 6 * n}
        return {"exp": n, "add": n, "mul": 3 * n}


class Hardswish(Activation):
    """Hard swish ``x * relu6(x + 3) / 6`` (MobileNetV3): 1 add, 2 compare, 2 mul per element."""

    op: Literal["hardswish"]
    per_element: ClassVar = {"add": 1, "compare": 2, "mul": 2}


class Hardsigmoid(Activation):
    """Hard sigmoid ``relu6(x + 3) / 6``: 1 add, 2 compare, 1 mul per element."""

    op: Literal["hardsigmoid"]
    per_element: ClassVar = {"add": 1, "compare": 2, "mul": 1}


class Softmax(Activation):
    """Softmax over the channels (features) at each position."""

    op: Literal["softmax"]
    per_element: ClassVar = {"compare": 1, "add": 2, "exp": 1, "div": 1}
