"""Training cost (archcalc.training): backward MACs, saved activations, training memory.

Exact against PyTorch where it is installed: FlopCounterMode around forward +
backward with its grouped-conv weight-gradient overcount removed (re-derived from
each call's shapes here, not from archcalc), and the bytes of the unique storages
that ``torch.autograd.graph.saved_tensors_hooks`` sees.
"""

from __future__ import annotations

import json
from math import prod

import pytest
from typer.testing import CliRunner

from archcalc.api import analyze
from archcalc.cli import app
from archcalc.ops import OPS
from archcalc.training import BACKWARD, OPTIMIZERS, SAVED, training_cost


def test_every_op_has_a_training_rule():
    from typing import get_args

    names = {n for cls in OPS for n in get_args(cls.model_fields["op"].annotation)}
    assert names <= set(BACKWARD) and names <= set(SAVED), sorted(names - set(BACKWARD))


def test_conv_net_training_macs_are_three_forward_passes_less_the_first_input_gradient():
    a = analyze("resnet", variant="50", batch=4)
    t = training_cost(a)
    first = a.layers[0].macs  # stem.conv: fed by the network input, no input gradient
    assert t.totals["macs"] == 3 * a.totals["macs"] - first == 4 * (3 * 4_089_184_256 - 118_013_952) == 48_598_155_264
    assert training_cost(a, input_grad=True).totals["macs"] == 3 * a.totals["macs"]
    assert t.totals["backward_macs"] == t.totals["macs"] - a.totals["macs"]
    assert t.totals["flops_by_kind"]["mul_add"] == 2 * t.totals["macs"]


def test_training_memory_by_optimizer_and_dtype():
    a = analyze("mobilenet", dtype="bf16")
    p = a.totals["params"]
    for opt, states in OPTIMIZERS.items():
        m = training_cost(a, opt).totals["memory"]
        assert m["params"] == p * (4 + 2)  # fp32 master + bf16 working copy
        assert m["grads"] == 4 * p and m["optimizer"] == 4 * states * p
    m32 = training_cost(analyze("mobilenet"), "adamw").totals["memory"]
    assert (m32["params"], m32["grads"], m32["optimizer"]) == (4 * p, 4 * p, 8 * p)
    assert m32["peak"] > m32["params"] + m32["grads"] + m32["optimizer"] + m32["saved_activations"]


def test_saved_activations_attributed_once():
    a = analyze("resnet", variant="18", batch=2, resolution=64)
    t = training_cost(a)
    assert sum(lay.saved_bytes for lay in t.layers) == t.totals["saved_activation_bytes"] == 3_663_360
    by = {lay.name: lay.saved_bytes for lay in t.layers}
    # stem.conv saves the input image (2x3x64x64 fp32); stem.relu saves its output,
    # which stem.pool (and the ReLU) share: the pool adds only its int64 indices
    assert by["stem.conv"] == 2 * 3 * 64 * 64 * 4
    assert by["stem.pool"] == 2 * 64 * 16 * 16 * 8


def test_symbolic_training_equals_numeric():
    sym = training_cost(analyze("mobilenet", symbolic=True, symbols=["alpha", "rho"]))
    import sympy

    for alpha, rho in (("1/2", "6/7"), ("1", "4/7"), ("3/4", "1")):
        num = training_cost(analyze("mobilenet", vars={"alpha": alpha, "rho": rho}))
        at = {sympy.Symbol("alpha", positive=True): sympy.Rational(alpha),
              sympy.Symbol("rho", positive=True): sympy.Rational(rho)}
        assert sym.totals["macs"].xreplace(at) == num.totals["macs"]
        assert sym.totals["saved_activation_bytes"].xreplace(at) == num.totals["saved_activation_bytes"]


def test_cli_training_json_and_table():
    res = CliRunner().invoke(app, ["cost", "mobilenet", "--training", "--optimizer", "adamw", "--format", "json"],
                             catch_exceptions=False)
    doc = json.loads(res.output)
    tr = doc["totals"]["training"]
    assert set(tr) >= {"macs", "flops", "flops_by_kind", "saved_activation_bytes", "memory"}
    assert set(tr["memory"]) == {"params", "grads", "optimizer", "saved_activations", "peak"}
    assert tr["macs"] == sum(r["training"]["macs"] for r in doc["layers"])
    assert tr["saved_activation_bytes"] == sum(r["training"]["saved_activation_bytes"] for r in doc["layers"])
    assert doc["totals"]["macs"] == 568_740_352  # the forward totals keep their meaning
    res = CliRunner().invoke(app, ["cost", "mobilenet", "--training", "--summary"], catch_exceptions=False)
    assert "exact: training MACs 1,695,383,040" in res.output


def test_unknown_optimizer_is_an_error():
    from archcalc.errors import SpecError

    with pytest.raises(SpecError, match="unknown optimizer 'lamb'"):
        training_cost(analyze("mobilenet"), "lamb")


# ------------------------------------------------------------------ PyTorch --
def _groups_correct_conv_backward(grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation,
                                  _transposed, _output_padding, groups, output_mask, out_shape, **kw):
    """FLOPs of one convolution_backward call with groups respected: each of the
    input gradient and the weight gradient is one product per (output position,
    kernel tap, output channel, input channel of its group) -- the weight tensor's
    shape ``[C_out, C_in/groups, k, k]`` already holds the per-group count."""
    per_pass = 2 * grad_out_shape[0] * prod(grad_out_shape[2:]) * prod(w_shape)
    return per_pass * (int(output_mask[0]) + int(output_mask[1]))


def _torch_training(model, x):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    model.train()
    raw = FlopCounterMode(display=False)
    with raw:
        model(x).sum().backward()
    fixed = FlopCounterMode(display=False,
                            custom_mapping={torch.ops.aten.convolution_backward: _groups_correct_conv_backward})
    with fixed:
        model(x).sum().backward()
    skip = {t.untyped_storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    seen: dict[int, int] = {}

    def pack(t):
        st = t.untyped_storage()
        if st.data_ptr() not in skip:
            seen[st.data_ptr()] = st.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)
    return raw.get_total_flops(), fixed.get_total_flops(), sum(seen.values())


@pytest.mark.parametrize("tv, spec, variant", [
    ("resnet18", "resnet", "18"), ("mobilenet_v2", "mobilenet_v2", None), ("densenet121", "densenet", "121"),
    ("efficientnet_b0", "efficientnet", "b0"),
])
def test_training_equals_pytorch(tv, spec, variant):
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    raw, fixed, saved = _torch_training(getattr(torchvision.models, tv)(), torch.randn(2, 3, 64, 64))
    t = training_cost(analyze(spec, variant=variant, resolution=64, batch=2))
    assert 2 * t.totals["macs"] == fixed
    if tv == "efficientnet_b0":
        # torchvision's stochastic depth (train mode) saves a [batch,1,1,1] fp32 mask in each of
        # B0's 9 residual MBConv blocks; the spec leaves stochastic depth out (it is free at inference)
        assert saved - t.totals["saved_activation_bytes"] == 9 * 2 * 4
    else:
        assert t.totals["saved_activation_bytes"] == saved
    if tv in ("mobilenet_v2", "efficientnet_b0"):  # depthwise convs: FlopCounterMode over-counts
        assert raw > fixed
    else:
        assert raw == fixed


def test_flopcounter_grouped_overcount_mobilenet_v2_224():
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    raw, fixed, _ = _torch_training(torchvision.models.mobilenet_v2(), torch.randn(2, 3, 224, 224))
    t = training_cost(analyze("mobilenet_v2", batch=2))
    assert (raw, fixed, 2 * t.totals["macs"]) == (24_559_401_984, 3_565_939_200, 3_565_939_200)


def test_prove_dsc_training_ratio_holds():
    import sympy

    from archcalc.proofs.dsc import prove_dsc

    p = prove_dsc(training=True)
    N, k = sympy.symbols("N k", positive=True)
    assert p.holds and p.results["training_ratio"] == 1 / N + 1 / k**2
    assert any("Training ratio" in s.text for s in p.steps)
    assert not any("Training" in s.text for s in prove_dsc().steps)
