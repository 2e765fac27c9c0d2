"""Width and resolution multipliers on MobileNet: exact polynomials, checked against the paper's numbers."""

from fractions import Fraction

import pytest
import sympy

from archcalc.proofs.multipliers import prove_multiplier


@pytest.fixture(scope="module")
def width():
    return prove_multiplier("width")


def test_width_polynomial_reproduces_paper_points(width):
    assert width.holds
    a, r = sympy.symbols("alpha rho", positive=True)
    macs = width.results["macs"]
    # Howard et al. 2017, Tables 6, 7 and 9, exact counts in /work/shared/reference/published-numbers.md §1(b)
    for (av, rv), expected in {(1, 1): 568_740_352, (Fraction(3, 4), 1): 325_400_448,
                               (Fraction(1, 2), 1): 149_497_088, (Fraction(1, 4), 1): 41_030_272,
                               (1, Fraction(6, 7)): 418_121_728, (1, Fraction(5, 7)): 290_675_200,
                               (1, Fraction(4, 7)): 186_400_768, (Fraction(1, 2), Fraction(5, 7)): 76_524_800}.items():
        assert macs.subs({a: sympy.Rational(av), r: sympy.Rational(rv)}) == expected


def test_quadratic_share_equals_paper_table2(width):
    # Table 2: the 1x1 convs (the only alpha^2 terms) are 94.86 % of mult-adds and 74.59 % of params.
    assert round(100 * float(Fraction(width.results["quadratic_share_macs"])), 2) == 94.86
    assert round(100 * float(Fraction(width.results["quadratic_share_weights"])), 2) == 74.59


def test_resolution_share():
    p = prove_multiplier("resolution")
    assert p.holds
    # every term but the classifier's 1024*1000 mult-adds scales with rho^2
    assert Fraction(p.results["quadratic_share_macs"]) == Fraction(568_740_352 - 1_024_000, 568_740_352)
    assert p.results["quadratic_share_weights"] == "0"


def test_unknown_symbol_is_a_user_error():
    from archcalc.errors import SpecError

    with pytest.raises(SpecError, match="no var 'nope'"):
        prove_multiplier("width", symbol="nope")



def test_mobilenet_v2_head_is_not_thinned_below_one():
    # MobileNetV2's last 1x1 conv keeps 1280 channels for alpha < 1 (paper text; slim
    # finegrain_classification_mode): its max(1, alpha) must resolve to 1, not to alpha.
    # TF-slim mobilenet/README.md: alpha 0.5 -> 1.95M params = weights + FC bias with 1001 classes.
    # The ideal model differs from the real net only by make_divisible rounding, well within the
    # figure's last digit; with max(1, alpha) -> alpha the head would shrink and give ~1.2M.
    p = prove_multiplier("width", spec="mobilenet_v2")
    assert p.holds
    a, r = sympy.symbols("alpha rho", positive=True)
    weights_half = int(p.results["weights"].subs({a: sympy.Rational(1, 2), r: 1}))
    slim_convention = weights_half + 1280 + 1001  # one more class row, and the FC bias
    assert abs(slim_convention - 1_950_000) <= 10_000
    assert any("Max(1, alpha) -> 1" in n for n in p.notes)


@pytest.mark.parametrize("spec", ["mobilenet", "mobilenet_v2"])
def test_quadratic_shares_equal_the_numeric_per_layer_sums(spec):
    # Independent of the polynomial: in both MobileNets the layers whose C_in and C_out are both thinned by
    # alpha are the groups = 1 convs inside blocks (not the stem, not v2's 1280-wide head, not the depthwise
    # convs); every conv scales with rho², the classifier does not. Sum the numeric engine's layer costs.
    from archcalc.api import analyze

    a = analyze(spec)
    convs = [(lay, c) for lay, c in zip(a.network.layers, a.layers) if lay.op.op == "conv2d"]
    quad = [c for lay, c in convs if lay.op.groups == 1 and lay.blocks]
    macs, weights = a.totals["macs"], a.totals["params_by_kind"]["weights"]
    width, res = prove_multiplier("width", spec), prove_multiplier("resolution", spec)
    assert width.holds and res.holds
    assert Fraction(width.results["quadratic_share_macs"]) == Fraction(sum(c.macs for c in quad), macs)
    assert Fraction(width.results["quadratic_share_weights"]) == Fraction(
        sum(c.params_by_kind["weights"] for c in quad), weights)
    assert Fraction(res.results["quadratic_share_macs"]) == Fraction(sum(c.macs for _, c in convs), macs)
    if spec == "mobilenet_v2":  # 300,774,272 MACs: published-numbers.md §2 (Table 4: 300M); FC 1280 x 1000
        assert macs == 300_774_272 and Fraction(res.results["quadratic_share_macs"]) == 1 - Fraction(1_280_000, macs)
        # the resolution proof's formula takes max(1, alpha) = 1 on the thinned range, and says so for alpha
        assert any("alpha between 1/4 and 1" in n and "Max(1, alpha) -> 1" in n for n in res.notes)
