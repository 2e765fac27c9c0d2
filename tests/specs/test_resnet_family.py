"""ResNet-family specs against independent numbers (torchvision, papers, hand formulas).

Sources of the asserted values: torchvision's num_params and GFLOPS (= conv+linear
GMACs); the papers' tables; the exact counts of the official architectures in
/work/shared/reference/published-numbers.md ([C]); and closed-form counts
written out below. None is taken from archcalc's output.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import pytest

from archcalc.api import analyze
from archcalc.reference import parse_figure


@lru_cache(maxsize=None)
def _cost(spec: str, variant: str, **vars) -> tuple:
    a = analyze(spec, variant=variant, vars={k: str(v) for k, v in vars.items()})
    ops = Counter(c.op for c in a.layers)
    return a.totals["params"], a.totals["macs"], a.totals["params_by_kind"], ops


def cost(spec, variant, **vars):
    """(params, macs, params_by_kind, op counts) of one point, cached."""
    return _cost(spec, variant, **vars)


def at(expr, **values) -> int:
    """A symbolic total evaluated at named values (every free symbol must be given)."""
    subs = {s: values[s.name] for s in expr.free_symbols}
    return int(expr.xreplace(subs))


# --------------------------------------------------------------- ResNet --
# torchvision num_params and conv+linear MACs (GFLOPS 1.814 / 3.664 / 4.089 / 7.801 / 11.514).
TORCHVISION = {
    "18": (11_689_512, 1_814_073_344),
    "34": (21_797_672, 3_663_761_408),
    "50": (25_557_032, 4_089_184_256),
    "101": (44_549_160, 7_801_405_440),
    "152": (60_192_808, 11_513_626_624),
}
# Original Caffe models, stride on the first 1x1 (published-numbers.md section 3, [C]).
CAFFE_MACS = {"50": 3_857_973_248, "101": 7_570_194_432, "152": 11_282_415_616}


@pytest.mark.parametrize("variant", list(TORCHVISION))
def test_resnet_matches_torchvision(variant):
    params, macs, _, _ = cost("resnet", variant)
    assert (params, macs) == TORCHVISION[variant]


@pytest.mark.parametrize("variant", ["50", "101", "152"])
def test_stride_on_1x1_changes_macs_only(variant):
    p15, m15, _, _ = cost("resnet", variant)
    p1, m1, _, _ = cost("resnet", variant, stride_on_1x1=True)
    assert p1 == p15 == TORCHVISION[variant][0]
    assert m1 == CAFFE_MACS[variant]
    # Hand formula: only the first 1x1 of stages 2-4 moves from H to H/2 output:
    # each saves C_in * width * (3/4) * H^2 = (256*128*56^2, 512*256*28^2, 1024*512*14^2) * 3/4.
    saved = sum(cin * w * 3 * h * h // 4 for cin, w, h in ((256, 128, 56), (512, 256, 28), (1024, 512, 14)))
    assert saved == 231_211_008
    assert m15 - m1 == saved


@pytest.mark.parametrize("variant", ["18", "34"])
def test_stride_placement_is_irrelevant_for_basic_blocks(variant):
    assert cost("resnet", variant, stride_on_1x1=True)[:2] == TORCHVISION[variant]


@pytest.mark.parametrize("variant,convs", [("18", 1 + 16 + 3), ("34", 1 + 32 + 3), ("50", 1 + 48 + 4),
                                           ("101", 1 + 99 + 4), ("152", 1 + 150 + 4)])
def test_resnet_layer_counts(variant, convs):
    # Depth = convs on the main path + the FC; plus one 1x1 projection per stage that changes shape.
    _, _, _, ops = cost("resnet", variant)
    assert ops["conv2d"] == convs and ops["batchnorm"] == convs and ops["linear"] == 1
    assert ops["conv2d"] - (3 if variant in ("18", "34") else 4) + 1 == int(variant)


def test_resnet_names_follow_torchvision():
    a = analyze("resnet", variant="50", vars={"stride_on_1x1": "true"})
    layer = a.network.layer
    assert layer("layer2.0.conv1").out_shape == (128, 28, 28)  # stride on the 1x1
    assert layer("layer2.0.downsample.0").out_shape == (512, 28, 28)
    assert layer("fc").out_shape == (1000,)


def test_resnet_weights_only_is_the_resnext_papers_25_5m():
    # torchvision num_params minus BN affine (2 * 26,560 channels) and the FC bias (1000).
    bn_channels = 64 + sum(n * (2 * p + 4 * p) + 4 * p for n, p in ((3, 64), (4, 128), (6, 256), (3, 512)))
    _, _, kinds, _ = cost("resnet", "50")
    assert kinds["weights"] == 25_557_032 - 2 * bn_channels - 1000 == 25_502_912


def test_resnet_symbolic_resolution_and_classes():
    a = analyze("resnet", variant="50", symbolic=True)
    assert {"resolution", "classes"} <= set(a.symbols)
    assert at(a.totals["macs"], resolution=224, classes=1000) == 4_089_184_256
    assert at(a.totals["params"], resolution=224, classes=1000) == 25_557_032


# -------------------------------------------------------------- ResNeXt --
RESNEXT = {  # torchvision num_params; MACs from GFLOPS (50: exact count of published-numbers.md)
    "50-32x4d": (25_028_904, 4_230_479_872),
    "101-32x8d": (88_791_336, 16.414e9),
    "101-64x4d": (83_455_272, 15.46e9),
}


@pytest.mark.parametrize("variant", list(RESNEXT))
def test_resnext_matches_torchvision(variant):
    params, macs, _, _ = cost("resnext", variant)
    want_p, want_m = RESNEXT[variant]
    assert params == want_p
    assert macs == want_m if isinstance(want_m, int) else abs(macs - want_m) <= 0.0005e9


def test_resnext50_vs_resnet50():
    # Same skeleton; only the inner width and the grouping differ. Layer1's grouped 3x3:
    # 128 out x 9 taps x (128 / 32) in per group = 4,608 weights (ResNet-50's: 64 * 9 * 64 = 36,864).
    a = analyze("resnext", variant="50-32x4d")
    conv2 = next(c for c in a.layers if c.name == "layer1.0.conv2")
    assert conv2.params == 128 * 9 * 4 == 4_608
    rx, rn = cost("resnext", "50-32x4d"), cost("resnet", "50")
    assert rx[3] == rn[3]  # identical op counts
    assert (rn[0] - rx[0], rx[1] - rn[1]) == (25_557_032 - 25_028_904, 4_230_479_872 - 4_089_184_256)


def test_resnext_symbolic_cardinality_and_width():
    a = analyze("resnext", variant="101-32x4d", symbolic=True)
    assert {"cardinality", "base_width"} <= set(a.symbols)
    p = a.totals["params"]
    assert at(p, cardinality=32, base_width=8, classes=1000) == 88_791_336  # torchvision resnext101_32x8d
    assert at(p, cardinality=64, base_width=4, classes=1000) == 83_455_272  # torchvision resnext101_64x4d


# ---------------------------------------------------------------- SENet --
def se_extra(r: int, depths=(3, 4, 6, 3)) -> int:
    """SE params on a ResNet-50-like net: (2/r) sum N_s C_s^2 weights + sum N_s (C_s/r + C_s) biases."""
    chans = (256, 512, 1024, 2048)
    weights = sum(n * 2 * c * (c // r) for n, c in zip(depths, chans))
    biases = sum(n * (c // r + c) for n, c in zip(depths, chans))
    return weights + biases


@pytest.mark.parametrize("r", [2, 4, 8, 16, 32])
def test_se_adds_the_papers_parameter_formula(r):
    params, _, _, _ = cost("senet", "se-resnet-50", reduction=r)
    assert params - 25_557_032 == se_extra(r)


def test_se_resnet50_exact():
    params, macs, _, ops = cost("senet", "se-resnet-50")
    assert se_extra(16) == 2_530_992
    assert params == 28_088_024  # published-numbers.md [C]; Table 13: 28.1M
    # The SE FCs add 2 C^2 / r MACs per block (1x1 spatial) to the Caffe ResNet-50's 3,857,973,248.
    se_macs = sum(n * 2 * c * c // 16 for n, c in zip((3, 4, 6, 3), (256, 512, 1024, 2048)))
    assert macs == 3_857_973_248 + se_macs == 3_860_488_192
    assert ops["conv2d"] == 53 + 2 * 16 and ops["mul"] == 16 and ops["sigmoid"] == 16


@pytest.mark.parametrize("variant,params", [("se-resnet-101", 49_326_872), ("se-resnet-152", 66_821_848),
                                            ("se-resnext-50", 27_559_896), ("se-resnext-101", 48_955_416)])
def test_se_variants_exact_params(variant, params):
    assert cost("senet", variant)[0] == params  # published-numbers.md section 8 [C]


def test_se_resnext50_keeps_resnexts_stride():
    # SE-ResNeXt-50 = torchvision ResNeXt-50 (stride on the 3x3) + the SE FCs.
    _, macs, _, _ = cost("senet", "se-resnext-50")
    se_macs = sum(n * 2 * c * c // 16 for n, c in zip((3, 4, 6, 3), (256, 512, 1024, 2048)))
    assert macs == 4_230_479_872 + se_macs


def test_senet_symbolic_reduction():
    a = analyze("senet", variant="se-resnet-50", symbolic=True)
    assert "reduction" in a.symbols
    p = a.totals["params"]
    assert at(p, reduction=16, classes=1000, cardinality=1, base_width=64) == 28_088_024
    assert at(p, reduction=8, classes=1000, cardinality=1, base_width=64) == 25_557_032 + se_extra(8)


# ------------------------------------------------------------------ WRN --
def wrn_params(depth: int, k: int, classes: int = 10) -> int:
    """Hand count of the official WRN-d-k (pytorch/resnet.py): no conv biases, BN affine, FC with bias."""
    n = (depth - 4) // 6
    total, cin = 3 * 16 * 9, 16
    for w in (16 * k, 32 * k, 64 * k):
        for i in range(n):
            ni = cin if i == 0 else w
            total += 2 * ni + 9 * ni * w + 2 * w + 9 * w * w + (ni * w if ni != w else 0)
        cin = w
    return total + 2 * 64 * k + 64 * k * classes + classes


@pytest.mark.parametrize("variant,depth,k,published", [("wrn-16-8", 16, 8, "11.0M"), ("wrn-28-10", 28, 10, "36.5M"),
                                                       ("wrn-40-4", 40, 4, "8.9M")])
def test_wrn_cifar_params(variant, depth, k, published):
    params, _, _, ops = cost("wide_resnet", variant)
    assert params == wrn_params(depth, k)
    assert parse_figure(published).matches(params)  # paper / README, rounded or truncated
    assert ops["conv2d"] == depth  # 6n block convs + the stem conv + three 1x1 projections


def test_wrn_exact_counts_from_reference_doc():
    assert [cost("wide_resnet", v)[0] for v in ("wrn-40-4", "wrn-16-8", "wrn-28-10")] == [
        8_949_210, 10_961_370, 36_479_194]
    assert abs(cost("wide_resnet", "wrn-28-10")[1] - 5.24e9) <= 0.005e9  # [C] 5.24 G


def test_wrn_params_scale_with_k_squared():
    p10 = cost("wide_resnet", "wrn-28-10")[0]
    p20 = cost("wide_resnet", "wrn-28-10", widen=20)[0]
    assert p20 == wrn_params(28, 20)
    assert 3.98 < p20 / p10 < 4.0  # k^2 up to the k-linear BN, projection-free and FC terms


def test_wrn_symbolic_widen():
    a = analyze("wide_resnet", variant="wrn-28-10", symbolic=True)
    # wide_resnet.yaml fixes group 1's projection at the numeric point through the derived
    # bool var `widened: "widen != 1"`; symbolic mode must keep such a var numeric.
    assert "widen" in a.symbols, f"widen was dropped as structural; symbols {a.symbols}"
    k = next(s for s in a.totals["params"].free_symbols if s.name == "widen")
    # k^2 coefficient by hand: 9 w^2 per 3x3 conv (2n - 1 of them at width w, plus the
    # strided input conv at w/2 -> 9/2) and the 1x1 projection from w/2 (1/2), w = 16, 32, 64 (x k).
    n = 4
    coeff = 9 * (2 * n - 1) * 16**2 + sum((9 * (2 * n - 1) + 5) * (16 * 2**g) ** 2 for g in (1, 2))
    assert a.totals["params"].expand().coeff(k, 2) == coeff == 364_288


@pytest.mark.parametrize("variant,params,gmacs", [("wrn-50-2", 68_883_240, 11.398e9), ("wrn-101-2", 126_886_696, 22.753e9)])
def test_wrn_imagenet_matches_torchvision(variant, params, gmacs):
    p, m, _, _ = cost("wide_resnet", variant)
    assert p == params and abs(m - gmacs) <= 0.0005e9


# ------------------------------------------------------- pre-activation --
def preact_cifar_weights(n: int, classes: int = 10) -> int:
    """Conv + FC weights (and FC bias) of resnet-1k-layers' CIFAR ResNet-(9n+2)."""
    total, cin = 3 * 16 * 9, 16
    for p in (16, 32, 64):
        total += cin * p + 9 * p * p + 4 * p * p + cin * 4 * p  # first unit, with its projection
        total += (n - 1) * (4 * p * p + 9 * p * p + 4 * p * p)
        cin = 4 * p
    return total + 256 * classes + classes


@pytest.mark.parametrize("variant,n,exact", [("cifar-164", 18, 1_703_258), ("cifar-1001", 111, 10_327_706)])
def test_preact_cifar_params(variant, n, exact):
    params, _, kinds, ops = cost("preact_resnet", variant)
    assert params == exact  # published-numbers.md section 4 [C], with BN
    assert kinds["weights"] + kinds["biases"] == preact_cifar_weights(n)
    assert ops["conv2d"] + ops["linear"] == 9 * n + 2 + 3  # the depth, plus three projections


def test_preact_1001_published_10_2m_is_weights_only():
    _, _, kinds, _ = cost("preact_resnet", "cifar-1001")
    assert round(kinds["weights"] / 1e5) == 102  # 10.2M
    assert round((kinds["weights"] + kinds["norm_affine"]) / 1e5) == 103  # with BN: 10.3M


def test_preact_resnet200():
    # published-numbers.md [C] 64,673,832 counts a BN after each of the 4 projections
    # (the later preresnet.lua); the 2016 release has none: minus 2 * (256 + 512 + 1024 + 2048).
    params, _, _, _ = cost("preact_resnet", "200")
    assert params == 64_673_832 - 2 * (256 + 512 + 1024 + 2048)


@pytest.mark.parametrize("variant", ["18", "34", "50", "101", "152"])
def test_preact_imagenet_has_the_post_activation_convs(variant):
    # Same convs and FC as torchvision's ResNet (v1.5 stride): MACs and weights identical.
    _, macs, kinds, _ = cost("preact_resnet", variant)
    _, tv_macs, tv_kinds, _ = cost("resnet", variant)
    assert macs == TORCHVISION[variant][1] == tv_macs
    assert kinds["weights"] == tv_kinds["weights"]


def test_the_caffe_stem_is_what_differs_at_225():
    """torchvision pools the 113x113 stem output to 57x57 (padding 1, floor: (113 + 2 - 3) // 2 + 1),
    the Caffe models to 56x56 (no padding, ceil: ceil((113 - 3) / 2) + 1); the same 56 at 224.
    tests/specs/test_torch_implementations.py checks both against the real models."""
    tv = analyze("resnet", variant="50", resolution=225)
    caffe = analyze("resnet", variant="50", vars={"stride_on_1x1": "True"}, resolution=225)
    se = analyze("senet", variant="se-resnet-50", resolution=225)
    pools = [next(c.output for c in a.layers if c.name == "stem.pool") for a in (tv, caffe, se)]
    assert pools == [(64, 57, 57), (64, 56, 56), (64, 56, 56)]
    assert [a.totals["macs"] for a in (tv, caffe, se)] == [4_626_713_792, 3_860_090_048, 3_862_604_992]
