"""Totals, kinds, batch, dtype and the peak-memory liveness rule on small specs computed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from archcalc.api import analyze
from archcalc.errors import SpecError
from archcalc.memory import peak_elements

SMALL = """
name: small
input: [3, 8, 8]
layers:
  - {op: conv2d, name: conv, out_channels: 4, kernel_size: 3, padding: 1, bias: false}
  - {op: batchnorm, name: bn}
  - {op: relu, name: relu}
  - {op: global_avgpool, name: pool}
  - {op: flatten, name: flatten}
  - {op: linear, name: fc, out_features: 10}
"""
# By hand (per sample):
#   conv   (4, 8, 8) = 256 el; weights 4*9*3 = 108; MACs 256 * 27 = 6912
#   bn     256 el; norm_affine 8, buffers 8; 256 mul + 256 add
#   relu   256 el; 256 compare
#   pool   (4, 1, 1) = 4 el; 4 * (64 - 1) = 252 add, 4 div
#   flatten (4,) = 4 el
#   fc     10 el; weights 40, biases 10; MACs 40; 10 add
SMALL_MACS = 6912 + 40
SMALL_FLOPS_BY_KIND = {"mul_add": 2 * SMALL_MACS, "add": 256 + 252 + 10, "mul": 256, "div": 4,
                       "compare": 256, "exp": 0}
SMALL_ACTIVATIONS = 256 + 256 + 256 + 4 + 4 + 10

RESIDUAL = """
name: residual
input: [4, 8, 8]
layers:
  - {op: conv2d, name: a, out_channels: 8, kernel_size: 1, bias: false}
  - {op: conv2d, name: b, out_channels: 8, kernel_size: 3, padding: 1, bias: false}
  - {op: relu, name: c}
  - {op: conv2d, name: d, input: a, out_channels: 8, kernel_size: 1, stride: 2, bias: false}
  - {op: conv2d, name: e, input: c, out_channels: 8, kernel_size: 3, padding: 1, stride: 2, bias: false}
  - {op: add, name: f, inputs: [e, d]}
"""


@pytest.fixture
def small(tmp_path) -> Path:
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    return p


@pytest.fixture
def residual(tmp_path) -> Path:
    p = tmp_path / "residual.yaml"
    p.write_text(RESIDUAL)
    return p


def test_totals(small):
    t = analyze(small).totals
    assert t["macs"] == 6952
    assert t["params"] == 108 + 8 + 40 + 10
    assert t["params_by_kind"] == {"weights": 148, "biases": 10, "norm_affine": 8, "other": 0}
    assert t["buffers"] == 8
    assert t["flops_by_kind"] == SMALL_FLOPS_BY_KIND
    assert t["flops"] == sum(SMALL_FLOPS_BY_KIND.values()) == 14938
    assert t["activations"] == SMALL_ACTIVATIONS == 786
    assert t["activations_conv_linear"] == 256 + 10   # Note [activations_conv_linear]: timm's macts
    assert t["input_elements"] == 192


def test_layers(small):
    a = analyze(small)
    by_name = {c.name: c for c in a.layers}
    assert [c.name for c in a.layers] == ["conv", "bn", "relu", "pool", "flatten", "fc"]
    assert by_name["conv"].output == (4, 8, 8) and by_name["flatten"].output == (4,)
    assert by_name["bn"].flops_by_kind == {"mul": 256, "add": 256}
    assert by_name["fc"].flops == 2 * 40 + 10
    assert by_name["conv"].flops == 2 * 6912


def test_by_op(small):
    b = analyze(small).by_op
    assert b["conv2d"] == {"count": 1, "params": 108, "macs": 6912, "flops": 13824, "activations": 256}
    assert b["linear"]["params"] == 50 and b["linear"]["macs"] == 40 and b["linear"]["flops"] == 90
    assert b["relu"]["flops"] == 256 and b["relu"]["macs"] == 0


def test_batch_scales_work_not_params(small):
    t1, t4 = analyze(small).totals, analyze(small, batch=4).totals
    assert t4["macs"] == 4 * 6952
    assert t4["flops"] == 4 * 14938
    assert t4["flops_by_kind"] == {k: 4 * v for k, v in SMALL_FLOPS_BY_KIND.items()}
    assert t4["activations"] == 4 * 786 and t4["activations_conv_linear"] == 4 * 266
    assert t4["params"] == t1["params"] == 166 and t4["buffers"] == 8
    assert t4["peak_activation_elements"] == 4 * t1["peak_activation_elements"]


def test_dtype_bytes(small):
    # Peak (see test_peak_sequential): 512 elements.
    for dtype, nbytes in (("fp32", 4), ("fp16", 2), ("bf16", 2), ("int8", 1)):
        t = analyze(small, dtype=dtype).totals
        assert t["param_bytes"] == 166 * nbytes
        assert t["activation_bytes"] == 786 * nbytes
        assert t["peak_activation_bytes"] == 512 * nbytes
    with pytest.raises(SpecError, match="unknown dtype 'fp64'"):
        analyze(small, dtype="fp64")


def test_peak_sequential(small):
    # input 192 | conv: 192 + 256 = 448, free input -> 256 | bn: 256 + 256 = 512, free conv -> 256
    # relu: 512 -> 256 | pool: 260 -> 4 | flatten: 8 -> 4 | fc: 14 -> 10.  Peak 512, first at bn.
    t = analyze(small).totals
    assert t["peak_activation_elements"] == 512
    assert t["peak_at"] == "bn"


def test_peak_residual_liveness(residual):
    """Note [peak memory liveness] (docs/conventions.md), step by step."""
    # Sizes: input 4*8*8 = 256; a, b, c 8*8*8 = 512; d, e, f 8*4*4 = 128.
    # Last uses: input -> a (1); a -> d (4); b -> c (3); c -> e (5); d, e -> f (6).
    # step 1 a: 256 + 512 = 768;   free input -> 512
    # step 2 b: 512 + 512 = 1024;  a is still needed by d -> 1024
    # step 3 c: 1024 + 512 = 1536; free b -> 1024 (a, c)
    # step 4 d: 1024 + 128 = 1152; free a -> 640 (c, d)
    # step 5 e: 640 + 128 = 768;   free c -> 256 (d, e)
    # step 6 f: 256 + 128 = 384.   Peak 1536 at c.
    a = analyze(residual)
    assert a.totals["peak_activation_elements"] == 1536
    assert a.totals["peak_at"] == "c"
    assert a.totals["peak_activation_bytes"] == 1536 * 4
    assert a.totals["macs"] == 8 * 64 * 4 + 8 * 64 * 72 + 8 * 16 * 8 + 8 * 16 * 72  # a, b, d, e
    assert a.totals["flops_by_kind"]["add"] == 128 + 0  # the residual add; no biases
    assert a.totals["flops_by_kind"]["compare"] == 512


def test_peak_elements_rule_directly():
    # input 8 | a: 8 + 4 = 12, free input -> 4 | b: 6 | c: 10.  Peak 12 at a.
    # (memory.py's module doctest claims (18, 'c'): it is the doctest that is wrong.)
    assert peak_elements([("a", 4, ["input"]), ("b", 2, ["a"]), ("c", 4, ["a", "b"])], 8) == (12, "a")
    # An unused input stays live for nothing: it is freed at step 0 and never counted again.
    assert peak_elements([("a", 3, ["input"])], 5) == (8, "a")


def test_mobilenet_reference_totals():
    """MobileNet v1 at alpha = 1 against the paper's and TF-slim's exact counts."""
    t = analyze("mobilenet").totals
    # TF-slim docstring: 567,716,352 MACs without the 1024*1000 classifier; 3,185,088 weights.
    assert t["macs"] == 567_716_352 + 1024 * 1000
    assert t["params_by_kind"]["weights"] == 3_185_088 + 1024 * 1000
    assert t["params_by_kind"]["biases"] == 1000
    # BN after every conv: 32 + 2 * (64+128+128+256+256+512*6+1024+1024) + 32 ... counted channel by channel:
    # conv0 32; each separable layer i: dw BN over in channels, pw BN over out channels.
    widths = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    ins = [32] + widths[:-1]
    bn_channels = 32 + sum(ins) + sum(widths)
    assert t["params_by_kind"]["norm_affine"] == 2 * bn_channels
    assert t["buffers"] == 2 * bn_channels
