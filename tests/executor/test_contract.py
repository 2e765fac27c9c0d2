"""The executor contract, for every op of the registry (``archcalc.ops.OPS``).

Every registered op class has an executor kernel, and on random small shapes
its executed output shape, counted MACs and allocated parameters (by kind, BN
running statistics as buffers) equal the static formulas — the only place where
the executor's figures are compared with ``op.output_shape``/``op.macs``/``op.params``
directly. A new op fails here until it has a kernel; its random draws come from EXAMPLES below, else
from the example the op class declares.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from archcalc.executor.dispatch import KERNELS, Params
from archcalc.ops import OPS, Ctx
from archcalc.ops.activation import Activation

DRAWS = 12  # random configurations per op


def op_name(cls) -> str:
    return get_args(cls.model_fields["op"].annotation)[0]


def fmap(rng, c=None):
    """A random small [C, H, W] shape (H, W >= 5 so every 3x3 dilated-2 window fits)."""
    return (int(c or rng.integers(1, 7)), int(rng.integers(5, 10)), int(rng.integers(5, 10)))


def any_shape(rng):
    return fmap(rng) if rng.random() < 0.7 else (int(rng.integers(1, 20)),)


def conv(rng):
    g = int(rng.choice([1, 1, 2, 3]))
    cin = g * int(rng.integers(1, 4))
    depthwise = rng.random() < 0.3
    if depthwise:
        g = cin
    cout = g * int(rng.integers(1, 4))
    k = int(rng.integers(1, 4)) if rng.random() < 0.8 else [int(rng.integers(1, 4)), int(rng.integers(1, 4))]
    padding = [0, 1, 2, "same", "valid", [1, 0]][int(rng.integers(6))]
    fields = {"out_channels": cout, "kernel_size": k, "stride": int(rng.integers(1, 3)), "padding": padding,
              "dilation": int(rng.integers(1, 3)), "groups": g, "bias": bool(rng.random() < 0.5)}
    return fields, [fmap(rng, cin)]


def pool(rng, dilation: bool):
    k = int(rng.integers(1, 4))
    fields = {"kernel_size": k, "stride": None if rng.random() < 0.3 else int(rng.integers(1, 3)),
              "padding": int(rng.integers(0, k // 2 + 1)), "ceil_mode": bool(rng.random() < 0.5)}
    if dilation:
        fields["dilation"] = int(rng.integers(1, 3))
    return fields, [fmap(rng)]


def several(rng, same_channels: bool):
    c, h, w = fmap(rng)
    n = int(rng.integers(2, 4))
    return {}, [(c if same_channels else int(rng.integers(1, 6)), h, w) for _ in range(n)]


def mul(rng):
    big = fmap(rng)
    other = (big[0], 1, 1) if rng.random() < 0.7 else big
    return {}, [big, other] if rng.random() < 0.5 else [other, big]


def group_norm(rng):
    g = int(rng.integers(1, 4))
    return {"num_groups": g, "affine": bool(rng.random() < 0.7)}, [fmap(rng, g * int(rng.integers(1, 4)))]


def adaptive_size(rng):
    """Output sizes below, equal to and above the input's (regions overlap or repeat)."""
    if rng.random() < 0.3:
        return [int(rng.integers(1, 12)), int(rng.integers(1, 12))]
    return int(rng.integers(1, 12))


def chunk(rng):
    c = int(rng.integers(2, 12))
    n = int(rng.integers(1, c + 1))
    pieces = -(-c // -(-c // n))  # torch.chunk may make fewer pieces than asked
    return {"chunks": n, "index": int(rng.integers(0, pieces))}, [fmap(rng, c)]


def channel_shuffle(rng):
    g = int(rng.integers(1, 4))
    return {"groups": g}, [fmap(rng, g * int(rng.integers(1, 4)))]


def conv_transpose(rng):
    g = int(rng.choice([1, 1, 2]))
    cin, cout = g * int(rng.integers(1, 4)), g * int(rng.integers(1, 4))
    s, d = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    fields = {"out_channels": cout, "kernel_size": int(rng.integers(1, 4)), "stride": s, "dilation": d,
              "padding": int(rng.integers(0, 2)), "output_padding": int(rng.integers(0, max(s, d))),
              "groups": g, "bias": bool(rng.random() < 0.5)}
    return fields, [fmap(rng, cin)]


#: op name -> rng -> (fields, per-sample input shapes). Activations share one example.
EXAMPLES = {
    "conv2d": conv,
    "linear": lambda rng: ({"out_features": int(rng.integers(1, 9)), "bias": bool(rng.random() < 0.5)},
                           [any_shape(rng)]),
    "batchnorm": lambda rng: ({"affine": bool(rng.random() < 0.7)}, [fmap(rng)]),
    "layernorm": lambda rng: ({"affine": bool(rng.random() < 0.7)}, [any_shape(rng)]),
    "groupnorm": group_norm,
    "gelu": lambda rng: ({"approximate": ["none", "tanh"][int(rng.integers(2))]}, [any_shape(rng)]),
    "maxpool": lambda rng: pool(rng, dilation=True),
    "avgpool": lambda rng: pool(rng, dilation=False),
    "global_avgpool": lambda rng: ({}, [fmap(rng)]),
    "add": lambda rng: several(rng, same_channels=True),
    "concat": lambda rng: several(rng, same_channels=False),
    "mul": mul,
    "flatten": lambda rng: ({}, [fmap(rng)]),
    "dropout": lambda rng: ({"p": 0.5}, [any_shape(rng)]),
    "drop_path": lambda rng: ({"p": 0.1}, [any_shape(rng)]),
    "identity": lambda rng: ({}, [any_shape(rng)]),
    "layer_scale": lambda rng: ({"init": 1e-6}, [fmap(rng)]),
    "adaptive_avgpool": lambda rng: ({"output_size": adaptive_size(rng)}, [fmap(rng)]),
    "adaptive_maxpool": lambda rng: ({"output_size": adaptive_size(rng)}, [fmap(rng)]),
    "chunk": chunk,
    "channel_shuffle": channel_shuffle,
    "mean": lambda rng: ({"keepdim": bool(rng.random() < 0.5)}, [fmap(rng)]),
    "conv_transpose2d": conv_transpose,
    "upsample": lambda rng: ({"scale_factor": int(rng.integers(1, 4)), "mode": ["nearest", "bilinear"][int(rng.integers(2))],
                              "align_corners": bool(rng.random() < 0.5)}, [fmap(rng)]),
    "pad": lambda rng: ({"padding": [int(rng.integers(0, 3)) for _ in range(4)] if rng.random() < 0.5
                         else int(rng.integers(0, 3)), "value": float(rng.standard_normal())}, [fmap(rng)]),
}


def example(cls, rng):
    name = op_name(cls)
    if name in EXAMPLES:
        return EXAMPLES[name](rng)
    if issubclass(cls, Activation):
        return {}, [any_shape(rng)]
    fields, ins = cls.example  # the op's own declared example (archcalc.ops.base.Op.example)
    return dict(fields), [tuple(s) for s in ins]


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_every_registered_op_has_a_kernel(cls):
    assert cls in KERNELS, f"{cls.__name__} has no executor kernel; register one in archcalc/executor/dispatch.py"


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_kernel_agrees_with_static_formulas(cls):
    assert cls in KERNELS, f"{cls.__name__} has no executor kernel"
    rng = np.random.default_rng(sum(map(ord, op_name(cls))))
    for _ in range(DRAWS):
        fields, ins = example(cls, rng)
        op = cls(op=op_name(cls), **fields)
        batch = int(rng.integers(1, 3))
        out = tuple(op.output_shape(ins, Ctx()))
        xs = [rng.standard_normal((batch,) + s).astype(np.float32) for s in ins]
        params = Params(np.random.default_rng(0))
        y, macs = KERNELS[cls](op, xs, params)
        where = f"{op!r} on {ins}, batch {batch}"
        assert y.dtype == np.float32, where
        assert tuple(y.shape) == (batch,) + out, where
        assert macs == batch * op.macs(ins, out), where
        static = {k: v for k, v in op.params(ins).items() if v}
        if op.buffers(ins):
            static["buffers"] = op.buffers(ins)
        assert params.by_kind() == static, where
        assert np.isfinite(y).all(), where
        assert not any(np.shares_memory(y, x) for x in xs), f"{where}: output aliases an input"


def test_contract_catches_a_wrong_formula(monkeypatch):
    """The comparison can fail: a conv2d MAC formula that forgets the groups is caught."""
    from archcalc.ops.conv import Conv2d

    monkeypatch.setattr(Conv2d, "macs", lambda self, ins, out: 9 * ins[0][0] * out[0] * out[1] * out[2])
    op = Conv2d(op="conv2d", out_channels=4, kernel_size=3, padding=1, groups=4)
    _, macs = KERNELS[Conv2d](op, [np.ones((1, 4, 5, 5), np.float32)], Params(np.random.default_rng(0)))
    # depthwise: 25 positions x 4 channels x 9 taps, each of one input channel
    assert macs == 25 * 4 * 9
    assert macs != op.macs([(4, 5, 5)], (4, 5, 5))
