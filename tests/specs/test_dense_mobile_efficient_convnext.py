"""Focused checks of the DenseNet, MobileNetV2, EfficientNet and ConvNeXt specs.

Every expected number comes from outside archcalc: the papers' tables, the
official code's configuration tables, torchvision's exact counts, the
independent counts of /work/shared/reference/published-numbers.md ([C]), or a
hand computation written out below. test_references.py checks the figures in
the specs' ``reference:`` lists; these tests pin the architecture itself.
"""

from __future__ import annotations

import re

import pytest

from archcalc.api import analyze


def layer_names(a, pattern: str) -> list[str]:
    """Names of the built layers matching a regular expression (full match)."""
    return [lay.name for lay in a.network.layers if re.fullmatch(pattern, lay.name)]


def in_channels(a, name: str):
    return a.network.layer(name).in_shapes[0][0]


def out_channels(a, name: str):
    return a.network.layer(name).out_shape[0]


# ------------------------------------------------------------ MobileNetV2 --
# TF-slim mobilenet/README.md, recomputed to 0.1M in published-numbers.md section 2 [C]:
# (alpha, resolution) -> MACs in millions (the slim table prints them rounded: 582, 509, ...).
SLIM_V2_MACS = {
    (1.4, 224): 582.2, (1.3, 224): 509.4, (1.0, 224): 300.8, (0.75, 224): 209.1,
    (0.5, 224): 97.1, (0.35, 224): 59.3,
    (1.0, 192): 221.3, (1.0, 160): 154.1, (1.0, 128): 99.1, (1.0, 96): 56.3,
}


@pytest.mark.parametrize("alpha,res", list(SLIM_V2_MACS), ids=[f"{a}-{r}" for a, r in SLIM_V2_MACS])
def test_mobilenet_v2_slim_sweep(alpha, res):
    a = analyze("mobilenet_v2", vars={"alpha": str(alpha), "rho": f"{res}/224", "classes": "1001"})
    assert a.network.input_shape == (3, res, res)
    assert round(a.totals["macs"] / 1e6, 1) == SLIM_V2_MACS[(alpha, res)]


def test_mobilenet_v2_table2_structure():
    """Table 2: 17 bottlenecks; a residual wherever stride 1 keeps the channels (10 of them)."""
    a = analyze("mobilenet_v2")
    assert len(layer_names(a, r"stage\d+\.block\d+\.ir\.project")) == 1 + 2 + 3 + 4 + 3 + 3 + 1
    # Per sequence (t, c, n, s), blocks 2..n always add; the first adds only if s = 1 and c_in = c:
    # 16(n=1): 0, 24: 1, 32: 2, 64: 3, 96: 2 (64 -> 96 in the first), 160: 2, 320: 0.
    assert len(layer_names(a, r".*\.add")) == 10
    # the first sequence has t = 1: no expansion conv
    assert not layer_names(a, r"stage0\..*\.expand")
    assert out_channels(a, "stage1.block0.ir.expand") == 6 * 16


@pytest.mark.parametrize("alpha,last", [(1.4, 1792), (1.0, 1280), (0.5, 1280), (0.35, 1280)])
def test_mobilenet_v2_last_conv_not_thinned(alpha, last):
    """Paper section 6.1 / torchvision: 1280 * max(1, alpha) channels; 1.4 -> 1792 (published-numbers)."""
    a = analyze("mobilenet_v2", vars={"alpha": str(alpha)})
    assert out_channels(a, "head.conv") == last


def test_mobilenet_v2_symbolic_at_the_base_point_is_torchvision():
    """Ideal model in alpha, rho at (1, 1): sizes divide every stride, channels integral."""
    a = analyze("mobilenet_v2", symbolic=True, symbols=["alpha", "rho"])
    at = {s: 1 for s in a.totals["macs"].free_symbols}
    assert int(a.totals["macs"].xreplace(at)) == 300_774_272  # torchvision mobilenet_v2


# ---------------------------------------------------------------- DenseNet --
# Table 1 and the transition rule floor(0.5 * C), by hand: k0 of each dense block.
# 121 (k=32): 64; (64 + 6*32)/2 = 128; (128 + 12*32)/2 = 256; (256 + 24*32)/2 = 512.
# 161 (k=48): 96; (96 + 6*48)/2 = 192; (192 + 12*48)/2 = 384; (384 + 36*48)/2 = 1056.
DENSE_K0 = {"121": (32, [64, 128, 256, 512]), "161": (48, [96, 192, 384, 1056])}


@pytest.mark.parametrize("variant", list(DENSE_K0))
def test_densenet_layer_input_channels(variant):
    """Layer l of a dense block reads k0 + k * (l - 1) channels (paper section 3)."""
    k, k0s = DENSE_K0[variant]
    a = analyze("densenet", variant=variant)
    for b, k0 in enumerate(k0s):
        convs = layer_names(a, rf"stage{b}\.dense\.layer\d+\.conv1")
        for ell, name in enumerate(convs, start=1):
            assert in_channels(a, name) == k0 + k * (ell - 1), name
            assert out_channels(a, name) == 4 * k
            assert out_channels(a, name.replace("conv1", "conv2")) == k


@pytest.mark.parametrize("variant,final", [("121", 1024), ("169", 1664), ("201", 1920),
                                           ("264", 2688), ("161", 2208)])
def test_densenet_final_channels(variant, final):
    """Final feature channels (published-numbers.md section 7 [C])."""
    assert in_channels(analyze("densenet", variant=variant), "head.fc") == final


def test_densenet_264_counts():
    """DenseNet-264 (Table 1): 33,337,704 params with BN, 5.752G conv+FC MACs [C]."""
    a = analyze("densenet", variant="264")
    assert a.totals["params"] == 33_337_704
    assert round(a.totals["macs"] / 1e9, 3) == 5.752


@pytest.mark.parametrize("variant,classes,params", [
    ("bc-100-12", 10, 769_162), ("bc-100-12", 100, 800_032),
    ("bc-250-24", 10, 15_324_406), ("bc-190-40", 10, 25_624_430),
])
def test_densenet_cifar_bc_params(variant, classes, params):
    """CIFAR DenseNet-BC, exact counts of the paper's architecture [C] (Table 2: 0.8M, 15.3M, 25.6M)."""
    a = analyze("densenet", variant=variant, vars={"classes": str(classes)})
    assert a.totals["params"] == params


def test_densenet_cifar_bc_structure():
    """BC-100-12: N = (100 - 4) / 6 = 16 layers per block; 24 -> 216 -> 108 -> 300 -> 150 -> 342."""
    a = analyze("densenet", variant="bc-100-12")
    assert a.network.input_shape == (3, 32, 32)
    assert out_channels(a, "stem.conv") == 24
    for b in range(3):
        assert len(layer_names(a, rf"stage{b}\.dense\.layer\d+\.conv2")) == 16
    assert [out_channels(a, f"stage{b}.transition.conv") for b in (0, 1)] == [108, 150]
    assert in_channels(a, "head.fc") == 342
    assert a.network.layer("stage2.dense.layer15.conv2").out_shape[1:] == (8, 8)


# ------------------------------------------------------------ EfficientNet --
# published-numbers.md section 9 "Derived configurations" (from round_filters / round_repeats of
# the official efficientnet_model.py): stem, head, per-stage channels and repeats.
B0_CHANNELS = [16, 24, 40, 80, 112, 192, 320]
B0_REPEATS = [1, 2, 2, 3, 3, 4, 1]
EFFNET = {
    "b0": (32, 1280, B0_CHANNELS, B0_REPEATS),
    "b1": (32, 1280, B0_CHANNELS, [2, 3, 3, 4, 4, 5, 2]),
    "b2": (32, 1408, [16, 24, 48, 88, 120, 208, 352], [2, 3, 3, 4, 4, 5, 2]),
    "b3": (40, 1536, [24, 32, 48, 96, 136, 232, 384], [2, 3, 3, 5, 5, 6, 2]),
    "b4": (48, 1792, [24, 32, 56, 112, 160, 272, 448], [2, 4, 4, 6, 6, 8, 2]),
    "b5": (48, 2048, [24, 40, 64, 128, 176, 304, 512], [3, 5, 5, 7, 7, 9, 3]),
    "b6": (56, 2304, [32, 40, 72, 144, 200, 344, 576], [3, 6, 6, 8, 8, 11, 3]),
    "b7": (64, 2560, [32, 48, 80, 160, 224, 384, 640], [4, 7, 7, 10, 10, 13, 4]),
}
EFFNET_BLOCKS = {"b0": 16, "b1": 23, "b2": 23, "b3": 26, "b4": 32, "b5": 39, "b6": 45, "b7": 55}


@pytest.mark.parametrize("variant", list(EFFNET))
def test_efficientnet_derived_configuration(variant):
    stem, head, channels, repeats = EFFNET[variant]
    a = analyze("efficientnet", variant=variant)
    assert out_channels(a, "stem.conv") == stem
    assert out_channels(a, "head.conv") == head
    got_repeats = [len(layer_names(a, rf"stage{j}\.block\d+\.mbconv\.project")) for j in range(7)]
    assert got_repeats == repeats
    assert sum(got_repeats) == EFFNET_BLOCKS[variant]
    assert [out_channels(a, f"stage{j}.block0.mbconv.project") for j in range(7)] == channels


def _b0_se_macs_by_hand() -> int:
    """SE MACs of B0 from Table 1: per block 2 * hidden * max(1, int(0.25 * block input))."""
    stages = [(1, 32, 16, 1), (6, 16, 24, 2), (6, 24, 40, 2), (6, 40, 80, 3),
              (6, 80, 112, 3), (6, 112, 192, 4), (6, 192, 320, 1)]  # (e, in, out, repeats)
    total = 0
    for e, cin, cout, n in stages:
        for i in range(n):
            c = cin if i == 0 else cout
            total += 2 * (c * e) * max(1, int(0.25 * c))
    return total


def test_efficientnet_b0_se_macs():
    """SE adds 0.63M MACs to B0 (published-numbers.md section 9, and the hand count above)."""
    a = analyze("efficientnet", variant="b0")
    se = sum(c.macs for c in a.layers if ".se." in c.name)
    assert se == _b0_se_macs_by_hand() == 627_200
    assert round(se / 1e6, 2) == 0.63


def test_efficientnet_b7_se_macs():
    """SE adds 11.9M MACs to B7 (published-numbers.md section 9 [C])."""
    a = analyze("efficientnet", variant="b7")
    assert round(sum(c.macs for c in a.layers if ".se." in c.name) / 1e6, 1) == 11.9


def test_efficientnet_se_reduces_block_input_not_expanded():
    """reduce = max(1, int(0.25 * block input filters)): B0 stage 2 block 0 has 16 in, 96 expanded -> 4."""
    a = analyze("efficientnet", variant="b0")
    assert out_channels(a, "stage1.block0.mbconv.se.reduce") == 4
    assert out_channels(a, "stage1.block0.mbconv.se.expand") == 96


def test_efficientnet_phi_zero_is_b0():
    """Without a variant phi = 0: depth 1.2^0, width 1.1^0, resolution 224 -- torchvision's B0."""
    a = analyze("efficientnet")
    assert (a.totals["params"], a.totals["macs"]) == (5_288_548, 385_814_752)


def test_efficientnet_ideal_compound_scaling_point():
    """phi = 2: d = 1.44, w = 1.21, r = round(224 * 1.3225) = 296 (paper eq. 3 with 1.2, 1.1, 1.15)."""
    a = analyze("efficientnet", vars={"phi": "2"})
    assert a.network.input_shape == (3, 296, 296)
    # round_filters(32 * 1.21 = 38.72) = 40 (nearest multiple of 8); round_repeats: ceil(1.44 * r)
    assert out_channels(a, "stem.conv") == 40
    reps = [len(layer_names(a, rf"stage{j}\.block\d+\.mbconv\.project")) for j in range(7)]
    assert reps == [2, 3, 3, 5, 5, 6, 2]


def test_efficientnet_symbolic_at_b0_is_torchvision():
    """The ideal model in width_mult and resolution, at (1, 224), equals torchvision's exact B0 MACs."""
    a = analyze("efficientnet", variant="b0", symbolic=True, symbols=["width_mult", "resolution"])
    m = a.totals["macs"]
    assert {s.name for s in m.free_symbols} == {"width_mult", "resolution"}
    at = {s: (1 if s.name == "width_mult" else 224) for s in m.free_symbols}
    assert int(m.xreplace(at)) == 385_814_752


def test_efficientnet_depth_is_structural():
    """depth_mult decides repeat counts: dropped from the default symbols, an error when asked for."""
    from archcalc.errors import SpecError

    a = analyze("efficientnet", variant="b1", symbolic=True)
    assert "depth_mult" not in a.symbols and "width_mult" in a.symbols
    with pytest.raises(SpecError, match="structural"):
        analyze("efficientnet", variant="b1", symbolic=True, symbols=["depth_mult"])


# ---------------------------------------------------------------- ConvNeXt --
# Official convnext.py model definitions (published-numbers.md section 10).
CONVNEXT = {
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}


@pytest.mark.parametrize("variant", list(CONVNEXT))
def test_convnext_depths_and_widths(variant):
    depths, dims = CONVNEXT[variant]
    a = analyze("convnext", variant=variant)
    assert tuple(len(layer_names(a, rf"stage{s}\.block\d+\.convnext\.add")) for s in range(4)) == depths
    widths = tuple(out_channels(a, f"stage{s}.block0.convnext.add") for s in range(4))
    assert widths == dims
    assert out_channels(a, "stage0.block0.convnext.pwconv1") == 4 * dims[0]


def test_convnext_small_has_the_widths_of_tiny():
    """The [!] trap: ConvNeXt-S is T made deeper (96...768), not B's 128...1024."""
    t, s = analyze("convnext", variant="tiny"), analyze("convnext", variant="small")
    assert out_channels(s, "head.fc") == out_channels(t, "head.fc") == 1000
    assert in_channels(s, "head.fc") == in_channels(t, "head.fc") == 768


def test_convnext_tiny_by_hand():
    """Stem and first block of ConvNeXt-T at 224, counted by hand from the official block."""
    a = analyze("convnext", variant="tiny")
    costs = {c.name: c for c in a.layers}
    # stem: 4x4/4 conv 3 -> 96 with bias: 96*3*16 + 96 params; 56*56*96*48 MACs
    assert costs["stem.conv"].params == 96 * 3 * 16 + 96
    assert costs["stem.conv"].macs == 56 * 56 * 96 * 48
    blk = "stage0.block0.convnext."
    # dw 7x7 with bias, LN (2C), C->4C and 4C->C linears with bias, layer scale (C)
    block_params = (96 * 49 + 96) + 2 * 96 + (96 * 384 + 384) + (384 * 96 + 96) + 96
    assert sum(c.params for n, c in costs.items() if n.startswith(blk)) == block_params
    assert costs[blk + "pwconv1"].macs == 56 * 56 * 96 * 384
    # downsample before stage 2: LN(96) + 2x2/2 conv 96 -> 192 with bias
    assert costs["stage1.downsample.conv"].params == 192 * 96 * 4 + 192
    assert a.network.layer("stage3.block2.convnext.add").out_shape == (768, 7, 7)
