"""Homework answers: each derivation holds and matches published or hand-computed numbers."""

import math
from fractions import Fraction

import pytest
import sympy

from archcalc.proofs import homework as hw


def _answer(qid: str):
    fn = hw.QUESTIONS[qid][1]
    absent = [s for s in getattr(fn, "specs", ()) if hw._load_or_none(s) is None]
    if absent:
        pytest.skip(f"spec(s) {', '.join(absent)} not bundled yet")
    return hw.answer(qid)


def test_dsc_reduction():
    p = _answer("dsc")
    assert p.holds and Fraction(p.results["reduction"]) == 1 - Fraction(1, 512) - Fraction(1, 9)


def test_se_params():
    p = _answer("se-params")
    assert p.holds
    # torchvision-style counts (published-numbers.md §3, §8): SE-ResNet-50 28,088,024 - ResNet-50 25,557,032
    assert p.results["se_params"] == 28_088_024 - 25_557_032
    # by hand, r = 16: 3*(2*256^2/16 + 16 + 256) + 4*(...512...) + 6*(...1024...) + 3*(...2048...)
    by_hand = sum(n * (2 * c * c // 16 + c // 16 + c) for n, c in ((3, 256), (4, 512), (6, 1024), (3, 2048)))
    assert p.results["se_params"] == by_hand


def test_dense_channels():
    p = _answer("dense-channels")
    k0, k, ell = sympy.symbols("k_0 k ell", positive=True)
    assert p.holds and sympy.simplify(p.results["channels"] - (k0 + k * (ell - 1))) == 0
    # DenseNet-121: blocks enter with 64, 128, 256, 512 channels (published-numbers.md §7)
    assert [row[2] for row in p.tables[0].rows] == [64, 128, 256, 512]
    assert p.tables[0].rows[-1][-1] == 1024


def wrn28_params_by_hand(k):
    """WRN-28-k (CIFAR-10, k > 1) counted by hand: 3 groups of 4 pre-activation basic blocks."""
    def block(cin, cout):  # BN(cin), 3x3 cin->cout, BN(cout), 3x3 cout->cout, 1x1 projection if cin != cout
        return 2 * cin + 9 * cin * cout + 2 * cout + 9 * cout * cout + (cin * cout if cin != cout else 0)

    total, cin = 3 * 9 * 16, 16  # conv0, no bias
    for width in (16 * k, 32 * k, 64 * k):
        total += block(cin, width) + 3 * block(width, width)
        cin = width
    return total + 2 * cin + cin * 10 + 10  # final BN, FC


def test_wrn_widen():
    p = _answer("wrn-widen")
    assert p.holds
    rows = {r[0]: r for r in p.tables[-1].rows}
    assert rows[10][1] == "36,479,194"  # WRN-28-10, published-numbers.md §5 (36.5M in the paper)
    assert 95 < float(rows[10][2]) < 100


def test_wrn_widen_formula_is_the_symbolic_total():
    # The answer used to fit a polynomial through numeric points; it now is archcalc's symbolic total,
    # valid for k > 1 (group 1's 1x1 projection 16 -> 16k), and equals a count by hand.
    p = _answer("wrn-widen")
    k = sympy.Symbol("k", positive=True)
    assert sympy.expand(p.results["params"] - wrn28_params_by_hand(k)) == 0
    assert wrn28_params_by_hand(10) == 36_479_194  # published-numbers.md §5
    assert any("k > 1" in s.text and "projection" in s.text for s in p.steps)
    rows = {r[0]: r for r in p.tables[-1].rows}
    assert all(rows[kv][-1] == "✓" for kv in range(2, 11))
    assert rows[1][-1] != "✓"  # k = 1 has no projection: 16*16 = 256 fewer params


def test_resnext_block():
    p = _answer("resnext")
    assert p.holds
    # by hand: ResNet 256*64 + 9*64*64 + 64*256 = 69,632; ResNeXt 256*128 + 9*128*128/32 + 128*256 = 70,144
    C, d = sympy.symbols("C d", positive=True)
    w = p.results["block_weights"]
    assert w.subs({C: 1, d: 64}) == 69_632 and w.subs({C: 32, d: 4}) == 70_144


def test_convnext_stem():
    p = _answer("convnext-stem")
    assert p.holds and p.results["ratio"] == sympy.Rational(6, 49)
    # by hand at 224: 56*56*96*(4*4*3) = 14,450,688; 112*112*64*(7*7*3) = 118,013,952
    assert p.tables[0].rows[0][2] == "14,450,688" and p.tables[0].rows[1][2] == "118,013,952"


def test_gelu_max_error_against_math_module():
    p = _answer("gelu")
    assert p.holds

    def diff(x):
        exact = 0.5 * x * (1 + math.erf(x / math.sqrt(2)))
        approx = 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
        return abs(exact - approx)

    xs = [i / 10000 for i in range(-60000, 60001)]
    best = max(xs, key=diff)
    assert abs(p.results["max_error"] - diff(best)) < 1e-9
    assert abs(abs(p.results["argmax"]) - abs(best)) < 1e-3


def test_cli_lists_and_rejects():
    from typer.testing import CliRunner

    from archcalc.cli import app

    r = CliRunner().invoke(app, ["homework"])
    assert r.exit_code == 0 and all(q in r.output for q in hw.QUESTIONS)
    r = CliRunner().invoke(app, ["homework", "nope"])
    assert r.exit_code != 0


def test_cli_list_honours_json_and_latex_formats():
    # `archcalc homework --format json` used to print the plain-text table (not JSON).
    import json

    from typer.testing import CliRunner

    from archcalc.cli import app

    r = CliRunner().invoke(app, ["homework", "--format", "json"])
    assert r.exit_code == 0
    assert [q["id"] for q in json.loads(r.output)] == list(hw.QUESTIONS)
    r = CliRunner().invoke(app, ["homework", "--format", "latex"])
    assert r.exit_code == 0
    assert r.output.count(r"\begin{tabular}") == r.output.count(r"\end{tabular}") == 1
    assert "ℓ" not in r.output and "φ" not in r.output  # unicode math mapped for pdflatex
