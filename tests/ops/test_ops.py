"""The op formulas (archcalc.ops): a contract over every registered op, then hand-checked cases.

Every expected number is worked out by hand in the comment beside it, from the
per-op rules of docs/conventions.md (notes cited as "Note [...]") and PyTorch's
shape formulas — never copied from archcalc's output.
"""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import pytest
import sympy

from archcalc.errors import ShapeError
from archcalc.ops import FLOP_KINDS, OPS, PARAM_KINDS, REGISTRY, Ctx

EXACT, IDEAL = Ctx(ideal=False), Ctx(ideal=True)


def make(name: str, **fields):
    """An op with resolved field values, as the graph builder hands it to the formulas."""
    cls = REGISTRY[name]
    defaults = {k: f.default for k, f in cls.model_fields.items() if not f.is_required()}
    return cls.model_construct(**{**defaults, "op": name, **fields})


def cost(name: str, ins: list[tuple], ctx: Ctx = EXACT, **fields):
    """Shape, params by kind, buffers, MACs and FLOPs by kind of one op on ``ins``."""
    op = make(name, **fields)
    out = op.output_shape(ins, ctx)
    return SimpleNamespace(op=op, out=tuple(out), params=op.params(ins), buffers=op.buffers(ins),
                           macs=op.macs(ins, out), flops=op.flops(ins, out))


# ------------------------------------------------------------ contract --
# One sample per registered op, as a function of the input's (C, H, W). Sizes are
# chosen where the ideal and exact models coincide (H divisible by every stride,
# padding that keeps the size at stride 1), so symbolic-then-substituted == numeric.
SAMPLES = {
    "conv2d": lambda c, h, w: (dict(out_channels=2 * c, kernel_size=3, stride=2, padding=1, groups=1, bias=True), [(c, h, w)]),
    "linear": lambda c, h, w: (dict(out_features=10), [(c, h, w)]),
    "batchnorm": lambda c, h, w: ({}, [(c, h, w)]),
    "layernorm": lambda c, h, w: ({}, [(c, h, w)]),
    "groupnorm": lambda c, h, w: (dict(num_groups=4), [(c, h, w)]),
    "maxpool": lambda c, h, w: (dict(kernel_size=3, stride=2, padding=1), [(c, h, w)]),
    "avgpool": lambda c, h, w: (dict(kernel_size=3, stride=1, padding=1), [(c, h, w)]),
    "global_avgpool": lambda c, h, w: ({}, [(c, h, w)]),
    "add": lambda c, h, w: ({}, [(c, h, w), (c, h, w), (c, h, w)]),
    "concat": lambda c, h, w: ({}, [(c, h, w), (2 * c, h, w)]),
    "mul": lambda c, h, w: ({}, [(c, h, w), (c, 1, 1)]),
    "flatten": lambda c, h, w: ({}, [(c, h, w)]),
    "layer_scale": lambda c, h, w: ({}, [(c, h, w)]),
    "gelu": lambda c, h, w: (dict(approximate="tanh"), [(c, h, w)]),
    "adaptive_avgpool": lambda c, h, w: (dict(output_size=4), [(c, h, w)]),
    "adaptive_maxpool": lambda c, h, w: (dict(output_size=[2, 4]), [(c, h, w)]),
    "chunk": lambda c, h, w: (dict(chunks=2, index=1), [(c, h, w)]),
    "channel_slice": lambda c, h, w: (dict(start=1, stop=3), [(c, h, w)]),
    "channel_shuffle": lambda c, h, w: (dict(groups=2), [(c, h, w)]),
    "conv_transpose2d": lambda c, h, w: (dict(out_channels=c, kernel_size=4, stride=2, padding=1, output_padding=0,
                                              dilation=1, groups=1, bias=True), [(c, h, w)]),
    "upsample": lambda c, h, w: (dict(scale_factor=2, mode="bilinear"), [(c, h, w)]),
    "pad": lambda c, h, w: (dict(padding=[1, 2, 0, 3]), [(c, h, w)]),
}
POINTWISE = lambda c, h, w: ({}, [(c, h, w)])  # noqa: E731  activations, dropout, identity ...
NUMERIC = dict(c=16, h=8, w=8)
C, H, W = sympy.symbols("C H W", positive=True)


def test_every_op_class_is_documented():
    for cls in OPS:
        assert cls.__dict__.get("__doc__"), f"{cls.__name__} has no docstring"


def test_registry_is_derived_from_ops():
    from typing import get_args

    assert set(REGISTRY.values()) == set(OPS)
    assert REGISTRY["swish"] is REGISTRY["silu"]
    assert set(REGISTRY) == {n for cls in OPS for n in get_args(cls.model_fields["op"].annotation)}
    assert REGISTRY.get("Conv2d") is None and "conv3d" not in REGISTRY


def _kinds_ok(d, allowed):
    return set(d) <= set(allowed)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_contract_numeric(name):
    fields, ins = SAMPLES.get(name, POINTWISE)(**NUMERIC)
    r = cost(name, ins, **fields)
    assert all(type(d) is int and d >= 1 for d in r.out)
    assert _kinds_ok(r.params, PARAM_KINDS) and _kinds_ok(r.flops, FLOP_KINDS)
    for v in [*r.params.values(), r.buffers, r.macs, *r.flops.values()]:
        assert type(v) is int and v >= 0
    assert (r.macs > 0) == type(r.op).conv_linear


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_contract_symbolic_then_substituted_equals_numeric(name):
    sample = SAMPLES.get(name, POINTWISE)
    fields, ins = sample(**NUMERIC)
    num = cost(name, ins, **fields)
    sfields, sins = sample(C, H, W)
    sym = cost(name, sins, IDEAL, **sfields)
    at = {C: NUMERIC["c"], H: NUMERIC["h"], W: NUMERIC["w"]}

    def ev(x):
        return int(sympy.sympify(x).xreplace(at))

    assert tuple(ev(d) for d in sym.out) == num.out
    assert {k: ev(v) for k, v in sym.params.items()} == num.params
    assert ev(sym.buffers) == num.buffers
    assert ev(sym.macs) == num.macs
    assert {k: ev(v) for k, v in sym.flops.items()} == num.flops


# ---------------------------------------------------------------- conv2d --
def test_conv_standard_no_bias():
    r = cost("conv2d", [(32, 56, 56)], out_channels=64, kernel_size=3, padding=1, bias=False)
    assert r.out == (64, 56, 56)                          # (56 + 2 - 3)//1 + 1 = 56
    assert r.params == {"weights": 18432, "biases": 0}    # 64 * 3*3 * 32
    assert r.macs == 57_802_752                           # 56*56*64 * 288 = 3136 * 18432
    assert r.flops == {}                                  # no bias: only the 2*MACs cost.py adds


def test_conv_bias_adds_one_add_per_output():
    r = cost("conv2d", [(32, 56, 56)], out_channels=64, kernel_size=3, padding=1, bias=True)
    assert r.params == {"weights": 18432, "biases": 64}
    assert r.flops == {"add": 200_704}                    # 64 * 56 * 56; bias adds are not MACs


def test_conv_grouped():
    r = cost("conv2d", [(32, 8, 8)], out_channels=64, kernel_size=3, padding=1, groups=4, bias=False)
    assert r.params["weights"] == 4608                    # 64 * 9 * (32 / 4)
    assert r.macs == 294_912                              # 64*8*8 = 4096 outputs * 72


def test_conv_depthwise_strided():
    r = cost("conv2d", [(32, 112, 112)], out_channels=32, kernel_size=3, stride=2, padding=1,
             groups=32, bias=False)
    assert r.out == (32, 56, 56)                          # (112 + 2 - 3)//2 + 1 = 55 + 1
    assert r.params["weights"] == 288                     # 32 * 9 * 1
    assert r.macs == 903_168                              # 32*56*56 = 100352 outputs * 9


def test_conv_depthwise_with_channel_multiplier():
    r = cost("conv2d", [(32, 8, 8)], out_channels=64, kernel_size=3, padding=1, groups=32, bias=False)
    assert r.params["weights"] == 576                     # 64 * 9 * 1
    assert r.macs == 64 * 8 * 8 * 9


def test_conv_strided_valid():
    r = cost("conv2d", [(3, 224, 224)], out_channels=64, kernel_size=7, stride=2, bias=False)
    assert r.out == (64, 109, 109)                        # (224 - 7)//2 + 1 = 108 + 1
    assert cost("conv2d", [(3, 7, 7)], out_channels=4, kernel_size=3, padding="valid").out == (4, 5, 5)


def test_conv_dilated():
    r = cost("conv2d", [(4, 10, 10)], out_channels=8, kernel_size=3, dilation=2, bias=False)
    assert r.out == (8, 6, 6)                             # span 2*(3-1)+1 = 5; 10 - 5 + 1 = 6
    assert r.macs == 8 * 6 * 6 * 9 * 4                    # taps, not span: 9 per input channel
    assert cost("conv2d", [(3, 17, 17)], out_channels=64, kernel_size=3, dilation=2, padding=2).out == (64, 17, 17)


@pytest.mark.parametrize("size,k,s,d,out,pads", [
    (224, 3, 2, 1, 112, (0, 1)),   # out ceil(224/2) = 112; total (111*2 + 3) - 224 = 1 -> (0, 1) bottom/right
    (7, 3, 2, 1, 4, (1, 1)),       # out 4; total 3*2 + 3 - 7 = 2 -> (1, 1)
    (7, 5, 2, 1, 4, (2, 2)),       # total 3*2 + 5 - 7 = 4
    (5, 2, 1, 1, 5, (0, 1)),       # even kernel: total 4 + 2 - 5 = 1
    (9, 3, 1, 2, 9, (2, 2)),       # dilated: total 8 + 5 - 9 = 4
    (8, 1, 2, 1, 4, (0, 0)),       # total max(3*2 + 1 - 8, 0) = 0
    (113, 3, 2, 1, 57, (1, 1)),    # odd: out 57; total 56*2 + 3 - 113 = 2
])
def test_conv_same_padding(size, k, s, d, out, pads):
    """Note [same padding]: TensorFlow's rule, output ceil(H/s), the odd pixel at the bottom/right."""
    r = cost("conv2d", [(2, size, size)], out_channels=2, kernel_size=k, stride=s, dilation=d, padding="same")
    assert r.out == (2, out, out)
    assert r.op.pads((2, size, size)) == pads + pads
    # Note [padding taps counted]: every output costs k*k*C_in MACs, padding taps included.
    assert r.macs == 2 * out * out * k * k * 2


def test_conv_rectangular_kernel():
    r = cost("conv2d", [(3, 17, 17)], out_channels=64, kernel_size=[1, 7], padding=[0, 3])
    assert r.out == (64, 17, 17)
    assert r.params == {"weights": 1344, "biases": 64}    # 64 * 1*7 * 3
    assert r.macs == 388_416                              # 64*17*17 = 18496 * 21
    r = cost("conv2d", [(4, 10, 10)], out_channels=4, kernel_size=[3, 1], stride=[2, 1], padding=[1, 0])
    assert r.out == (4, 5, 10)                            # H (10+2-3)//2+1 = 5; W (10-1)//1+1 = 10


def test_conv_ideal_model_sizes():
    h = sympy.Symbol("h", positive=True)
    same = cost("conv2d", [(8, h, h)], IDEAL, out_channels=8, kernel_size=3, stride=2, padding="same")
    assert same.out[1] == h / 2
    keep = cost("conv2d", [(8, h, h)], IDEAL, out_channels=8, kernel_size=3, stride=2, padding=1)
    assert keep.out[1] == h / 2                           # padding 1 keeps the size at stride 1
    valid = cost("conv2d", [(8, h, h)], IDEAL, out_channels=8, kernel_size=3)
    assert sympy.simplify(valid.out[1] - (h - 2)) == 0


# ---------------------------------------------------------------- linear --
def test_linear_vector():
    r = cost("linear", [(1024,)], out_features=1000)
    assert r.out == (1000,)
    assert r.params == {"weights": 1_024_000, "biases": 1000}
    assert r.macs == 1_024_000
    assert r.flops == {"add": 1000}


def test_linear_no_bias():
    r = cost("linear", [(1024,)], out_features=1000, bias=False)
    assert r.params == {"weights": 1_024_000, "biases": 0} and r.flops == {}


def test_linear_per_position():
    r = cost("linear", [(96, 14, 14)], out_features=384)
    assert r.out == (384, 14, 14)
    assert r.params == {"weights": 36864, "biases": 384}  # 96 * 384
    assert r.macs == 7_225_344                            # 14*14 = 196 positions * 36864
    assert r.flops == {"add": 75_264}                     # 384 * 196


# ----------------------------------------------------------------- norms --
def test_batchnorm():
    r = cost("batchnorm", [(64, 56, 56)])
    assert r.out == (64, 56, 56)
    assert r.params == {"norm_affine": 128}               # gamma, beta
    assert r.buffers == 128                               # running mean, var
    assert r.flops == {"mul": 200_704, "add": 200_704}    # Note [batchnorm folded]: 1 mul + 1 add per element
    r = cost("batchnorm", [(64, 56, 56)], affine=False)
    assert sum(r.params.values()) == 0 and r.buffers == 128


def test_layernorm():
    """Note [norm statistics]."""
    # n = 96*56*56 = 301056 elements, 3136 positions (statistics).
    r = cost("layernorm", [(96, 56, 56)])
    assert r.params == {"norm_affine": 192} and r.buffers == 0
    assert r.flops == {"add": 4 * 301_056 + 3136,         # sum, centre, accumulate, shift; + eps
                       "mul": 2 * 301_056,                # square, scale
                       "div": 301_056 + 2 * 3136,         # normalise; mean and variance
                       "exp": 3136}                       # sqrt
    r = cost("layernorm", [(96, 56, 56)], affine=False)
    assert r.flops["add"] == 3 * 301_056 + 3136 and r.flops["mul"] == 301_056
    assert sum(r.params.values()) == 0


def test_layernorm_on_vector():
    r = cost("layernorm", [(768,)])
    assert r.flops["exp"] == 1 and r.flops["div"] == 768 + 2


def test_groupnorm():
    r = cost("groupnorm", [(64, 8, 8)], num_groups=32)
    assert r.params == {"norm_affine": 128}
    assert r.flops == {"add": 4 * 4096 + 32, "mul": 8192, "div": 4096 + 64, "exp": 32}  # n = 4096, 32 groups


# ----------------------------------------------------------- activations --
# n = 2*3*4 = 24 elements; FLOPs per element from the table in docs/conventions.md.
ACTIVATIONS = {
    "relu": {"compare": 24},
    "relu6": {"compare": 48},
    "sigmoid": {"exp": 24, "add": 24, "div": 24},
    "silu": {"exp": 24, "add": 24, "div": 24, "mul": 24},
    "swish": {"exp": 24, "add": 24, "div": 24, "mul": 24},
    "tanh": {"exp": 24},
    "gelu": {"exp": 24, "add": 24, "mul": 72},
    "hardswish": {"add": 24, "compare": 48, "mul": 48},
    "hardsigmoid": {"add": 24, "compare": 48, "mul": 24},
    "softmax": {"compare": 24, "add": 48, "exp": 24, "div": 24},
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_flops_per_element(name):
    r = cost(name, [(2, 3, 4)])
    assert r.out == (2, 3, 4) and r.macs == 0 and sum(r.params.values()) == 0
    assert r.flops == ACTIVATIONS[name]


def test_gelu_tanh_approximation():
    assert cost("gelu", [(24,)], approximate="tanh").flops == {"exp": 24, "add": 48, "mul": 144}


def test_every_activation_has_a_hand_checked_case():
    pointwise = {n for n, c in REGISTRY.items() if "per_element" in dir(c)}
    assert pointwise <= set(ACTIVATIONS)


# ----------------------------------------------------------------- pools --
def test_maxpool():
    r = cost("maxpool", [(64, 112, 112)], kernel_size=3, stride=2, padding=1)
    assert r.out == (64, 56, 56)                          # (112 + 2 - 3)//2 + 1
    assert r.flops == {"compare": 1_605_632}              # 64*56*56 = 200704 outputs * (9 - 1)
    assert r.macs == 0 and r.params == {}


def test_pool_stride_defaults_to_kernel():
    assert cost("maxpool", [(8, 8, 8)], kernel_size=2).out == (8, 4, 4)


@pytest.mark.parametrize("size,k,s,p,floor_out,ceil_out", [
    (8, 3, 2, 0, 3, 4),       # floor (8-3)//2+1 = 3; ceil ceil(5/2)+1 = 4, window 3 starts at 6 < 8
    (7, 2, 2, 0, 3, 4),       # ceil: ceil(5/2)+1 = 4, last window starts at 6 < 7
    (112, 3, 2, 0, 55, 56),
    (5, 2, 2, 1, 3, 3),       # ceil gives 4, but window 3 would start at 6 >= 5 + 1: PyTorch drops it
])
def test_pool_ceil_mode(size, k, s, p, floor_out, ceil_out):
    """Note [ceil mode]: PyTorch's rule, the last window must start inside the input or left padding."""
    for name in ("maxpool", "avgpool"):
        assert cost(name, [(1, size, size)], kernel_size=k, stride=s, padding=p).out[1] == floor_out
        assert cost(name, [(1, size, size)], kernel_size=k, stride=s, padding=p, ceil_mode=True).out[1] == ceil_out


def test_avgpool():
    """Note [avgpool divisor]: k - 1 adds and 1 div per window."""
    r = cost("avgpool", [(8, 7, 7)], kernel_size=2)
    assert r.out == (8, 3, 3)                             # (7 - 2)//2 + 1
    assert r.flops == {"add": 216, "div": 72}             # 72 outputs * (4 - 1) adds, 1 div each


def test_global_avgpool():
    r = cost("global_avgpool", [(1280, 7, 7)])
    assert r.out == (1280, 1, 1)
    assert r.flops == {"add": 61_440, "div": 1280}        # 1280 * (49 - 1) adds


# ----------------------------------------------------------------- merge --
def test_add_three_inputs():
    r = cost("add", [(8, 4, 4)] * 3)
    assert r.out == (8, 4, 4) and r.flops == {"add": 256}  # (3 - 1) * 128


def test_concat():
    r = cost("concat", [(16, 8, 8), (8, 8, 8)])
    assert r.out == (24, 8, 8) and r.flops == {} and r.params == {}


@pytest.mark.parametrize("ins", [[(64, 14, 14), (64, 1, 1)], [(64, 1, 1), (64, 14, 14)]])
def test_mul_broadcast_both_orders(ins):
    r = cost("mul", ins)
    assert r.out == (64, 14, 14) and r.flops == {"mul": 12_544}  # 64 * 196


def test_mul_same_shape():
    assert cost("mul", [(4, 2, 2), (4, 2, 2)]).flops == {"mul": 16}


# ----------------------------------------------------------------- shape --
def test_flatten():
    r = cost("flatten", [(64, 7, 7)])
    assert r.out == (3136,) and r.flops == {} and r.params == {}


@pytest.mark.parametrize("name", ["identity", "dropout", "drop_path"])
def test_free_ops(name):
    r = cost(name, [(64, 7, 7)])
    assert r.out == (64, 7, 7) and r.flops == {} and r.params == {} and r.macs == 0


def test_layer_scale():
    r = cost("layer_scale", [(96, 56, 56)])
    assert r.params == {"other": 96}
    assert r.flops == {"mul": 301_056}                    # 96 * 56 * 56


# ---------------------------------------------------------------- errors --
@pytest.mark.parametrize("name,ins,fields,match", [
    ("conv2d", [(32, 8, 8)], dict(out_channels=64, kernel_size=3, groups=3), r"groups=3 does not divide in_channels=32"),
    ("conv2d", [(32, 8, 8)], dict(out_channels=30, kernel_size=3, groups=4), r"groups=4 does not divide out_channels=30"),
    ("conv2d", [(32, 3, 3)], dict(out_channels=8, kernel_size=5), r"kernel extent 5 is larger than the padded input 3"),
    ("conv2d", [(32, 4, 4)], dict(out_channels=8, kernel_size=3, dilation=2), r"kernel extent 5 is larger than the padded input 4"),
    ("conv2d", [(32, 8, 8)], dict(out_channels=Fraction(49, 2), kernel_size=1), r"24\.5"),
    ("conv2d", [(32, 8, 8)], dict(out_channels=8, kernel_size=3, stride=0), r"stride must be >= 1"),
    ("conv2d", [(32, 8, 8)], dict(out_channels=8, kernel_size=[3, 3, 3]), r"pair"),
    ("conv2d", [(32,)], dict(out_channels=8, kernel_size=1), r"needs a \[C, H, W\] feature map"),
    ("conv2d", [(32, 8, 8)], dict(out_channels=0, kernel_size=1), r"out_channels must be >= 1, got 0"),
    ("linear", [(32,)], dict(out_features=0), r"out_features must be >= 1"),
    ("maxpool", [(8, 1, 1)], dict(kernel_size=2), r"kernel extent 2 is larger than the padded input 1"),
    ("maxpool", [(8, 8, 8)], dict(kernel_size=3, padding=2), r"padding 2 is more than half"),
    ("avgpool", [(8, 8, 8)], dict(kernel_size=2, padding=2), r"padding 2 is more than half"),
    ("groupnorm", [(64, 8, 8)], dict(num_groups=5), r"num_groups=5 does not divide channels=64"),
    ("global_avgpool", [(64,)], {}, r"feature map"),
    ("add", [(32, 8, 8), (64, 8, 8)], {}, r"input shapes differ \(\[32, 8, 8\] vs \[64, 8, 8\]\)"),
    ("add", [(32, 8, 8), (32, 4, 4)], {}, r"shapes differ"),
    ("concat", [(32, 8, 8), (32, 4, 4)], {}, r"spatial sizes differ"),
    ("mul", [(32, 8, 8), (16, 1, 1)], {}, r"do not broadcast"),
    ("mul", [(32, 8, 1), (32, 8, 8)], {}, r"do not broadcast"),
    ("mul", [(32,), (32, 1, 1)], {}, r"do not broadcast"),
])
def test_shape_errors(name, ins, fields, match):
    with pytest.raises(ShapeError, match=match):
        cost(name, ins, **fields)


def test_size_reaching_zero_is_an_error():
    """Halving 4 -> 2 -> 1 works; the next 2x2 pool has no full window."""
    shape = (8, 4, 4)
    for _ in range(2):
        shape = cost("maxpool", [shape], kernel_size=2).out
    assert shape == (8, 1, 1)
    with pytest.raises(ShapeError, match="larger than the padded input 1"):
        cost("maxpool", [shape], kernel_size=2)


# ------------------------------------------------- importer ops (bridge) --
def test_adaptive_avgpool_upsamples_with_repeated_rows():
    # VGG's AdaptiveAvgPool2d(7) on a 2x2 map (64 px input): torch's regions along an axis
    # are [floor(2i/7), ceil(2(i+1)/7)) for i = 0..6 -> sizes 1,1,1,2,1,1,1 (sum 8)
    r = cost("adaptive_avgpool", [(512, 2, 2)], output_size=7)
    assert r.out == (512, 7, 7)
    assert r.flops == {"add": 512 * (8 * 8 - 49), "div": 512 * 49}   # taps 64 per channel


def test_adaptive_maxpool_overlapping_regions():
    # 5 -> 3: regions [0,2), [1,4), [3,5): sizes 2, 3, 2 (sum 7) per axis
    r = cost("adaptive_maxpool", [(3, 5, 5)], output_size=3)
    assert r.flops == {"compare": 3 * (7 * 7 - 9)}


def test_chunk_pieces_follow_torch():
    # torch.chunk(13 channels, 3): pieces of ceil(13/3) = 5 -> 5, 5, 3
    assert [cost("chunk", [(13, 4, 4)], chunks=3, index=i).out[0] for i in range(3)] == [5, 5, 3]
    with pytest.raises(ShapeError, match="no piece 4"):
        cost("chunk", [(4, 4, 4)], chunks=4, index=4)   # pieces of 1: indices 0..3


def test_channel_slice_is_never_clamped():
    assert cost("channel_slice", [(16, 4, 4)], start=3, stop=16).out == (13, 4, 4)
    assert cost("channel_slice", [(16, 4, 4)], start=3, stop=16).macs == 0
    for start, stop in ((0, 17), (4, 4), (5, 2)):
        with pytest.raises(ShapeError, match="need 0 <= start < stop <= 16"):
            cost("channel_slice", [(16, 4, 4)], start=start, stop=stop)


def test_channel_shuffle_needs_divisible_groups():
    assert cost("channel_shuffle", [(116, 28, 28)], groups=2).out == (116, 28, 28)
    with pytest.raises(ShapeError, match="does not divide"):
        cost("channel_shuffle", [(7, 4, 4)], groups=2)


def test_mean_over_hw():
    r = cost("mean", [(960, 7, 7)])
    assert r.out == (960,) and r.flops == {"add": 960 * 48, "div": 960}


def test_conv_transpose_doubles_the_size():
    # DCGAN / U-Net up-conv: k=4, s=2, p=1: (8-1)*2 - 2 + 3 + 1 = 16
    r = cost("conv_transpose2d", [(16, 8, 8)], out_channels=8, kernel_size=4, stride=2, padding=1, bias=False)
    assert r.out == (8, 16, 16)
    assert r.params == {"weights": 16 * 8 * 16, "biases": 0}
    assert r.macs == 16 * 8 * 8 * 8 * 16          # every input element x C_out x 16 taps


def test_pad_torch_order():
    # [left, right, top, bottom] = [1, 2, 0, 3]: W 5 + 3, H 4 + 3
    assert cost("pad", [(2, 4, 5)], padding=[1, 2, 0, 3]).out == (2, 7, 8)
