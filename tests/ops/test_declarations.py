"""Per-op knowledge in one place: every op declares its layer kind and a contract example,
and has an executor kernel and a torch equivalent registered beside it (each once).

A new op fails here until it has all four.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from archcalc.ops import LAYER_KINDS, OPS, Ctx
from archcalc.ops.conv import Conv2d


def op_name(cls) -> str:
    return get_args(cls.model_fields["op"].annotation)[0]


def build(cls):
    fields, ins = cls.example
    return cls(op=op_name(cls), **fields), [tuple(s) for s in ins]


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_op_declares_kind_and_a_valid_example(cls):
    assert cls.kind in LAYER_KINDS, f"{cls.__name__}.kind must be one of {LAYER_KINDS}"
    op, ins = build(cls)
    out = op.output_shape(ins, Ctx())
    assert all(isinstance(d, int) and d > 0 for d in out)
    assert op.layer_kind(ins) in LAYER_KINDS


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_op_has_a_kernel_that_agrees_on_its_example(cls):
    from archcalc.executor.dispatch import KERNELS, Params

    assert cls in KERNELS, f"{cls.__name__} has no executor kernel (archcalc/executor/dispatch.py)"
    op, ins = build(cls)
    out = tuple(op.output_shape(ins, Ctx()))
    rng = np.random.default_rng(0)
    y, macs = KERNELS[cls](op, [rng.standard_normal((2,) + s).astype(np.float32) for s in ins],
                           Params(np.random.default_rng(0)))
    assert tuple(y.shape) == (2,) + out
    assert macs == 2 * op.macs(ins, out)


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_op_has_a_torch_equivalent(cls):
    pytest.importorskip("torch")
    from archcalc.exporters.torch_ref import TORCH_OPS

    assert cls in TORCH_OPS, f"{cls.__name__} has no torch equivalent (archcalc/exporters/torch_ref.py)"


def test_registering_a_kernel_twice_is_an_error():
    from archcalc.executor.dispatch import KERNELS, kernel

    before = KERNELS[Conv2d]
    with pytest.raises(TypeError, match="Conv2d is registered twice"):
        kernel(Conv2d)(lambda op, xs, p: (xs[0], 0))
    assert KERNELS[Conv2d] is before


def test_an_op_name_claimed_twice_or_an_undeclared_op_is_an_error():
    from archcalc.ops import _registry
    from archcalc.ops.activation import Relu
    from archcalc.ops.base import Op

    with pytest.raises(TypeError, match="listed twice"):
        _registry((Relu, Relu))

    class Unkinded(Op):
        pass

    with pytest.raises(TypeError, match="must declare its kind"):
        _registry((Unkinded,))


@pytest.mark.parametrize("groups,cin,k,kind", [
    (32, 32, 3, "depthwise"), (4, 32, 3, "grouped"), (1, 32, 1, "pointwise"), (1, 32, 3, "conv"),
    (1, 1, 3, "conv"),  # one input channel, one group: a standard conv, not depthwise
])
def test_one_definition_of_depthwise(groups, cin, k, kind):
    op = Conv2d(op="conv2d", out_channels=64, kernel_size=k, groups=groups)
    assert op.layer_kind([(cin, 8, 8)]) == kind
