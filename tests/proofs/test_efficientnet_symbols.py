"""Issue 9: ``cost efficientnet --symbolic`` keeps phi; the multiplier proofs use EfficientNet's own range."""

from __future__ import annotations

import pytest

sympy = pytest.importorskip("sympy")

from archcalc.api import analyze  # noqa: E402


@pytest.fixture(scope="module")
def sym():
    return analyze("efficientnet", symbolic=True)


def test_default_symbols_keep_phi_and_hold_the_structural_depth(sym):
    assert {"phi", "beta", "gamma", "classes"} <= set(sym.symbols) and "alpha" not in sym.symbols
    assert sym.held == {"depth_mult": 1}
    macs = sympy.sympify(sym.totals["macs"])
    assert {"phi", "beta", "gamma", "classes"} <= {str(s) for s in macs.free_symbols}
    from archcalc.report.tables import header_lines

    assert "Held at the point (structural: they decide repeat counts or branches): depth_mult=1." in header_lines(sym)


def _at(expr, **values):
    e = sympy.sympify(expr)
    return e.subs({s: sympy.Rational(values[str(s)]) for s in e.free_symbols})


def test_formula_equals_the_numeric_engine_where_the_ideal_model_is_exact(sym):
    # B0 (phi = 0): the exact engine's counts
    b0 = analyze("efficientnet").totals
    at0 = dict(phi=0, beta="11/10", gamma="23/20", classes=1000)
    assert _at(sym.totals["macs"], **at0) == b0["macs"] == 385814752
    assert _at(sym.totals["params"], **at0) == b0["params"]
    # phi = 1 with beta = gamma = 2: width 2 (channels stay multiples of 8), resolution 448 (divisible by 32),
    # depth held at 1 as the header says: the exact engine at those vars gives the same counts
    at1 = dict(phi=1, beta=2, gamma=2, classes=1000)
    exact = analyze("efficientnet", vars={"phi": "1", "beta": "2", "gamma": "2", "depth_mult": "1"}).totals
    assert _at(sym.totals["macs"], **at1) == exact["macs"]
    assert _at(sym.totals["params"], **at1) == exact["params"]


def test_other_specs_keep_their_symbols():
    assert analyze("mobilenet", symbolic=True).symbols == ("alpha", "rho", "classes")
    assert analyze("mobilenet", symbolic=True).held == {}


def test_resolution_multiplier_proof_states_efficientnets_own_range():
    from archcalc.proofs.multipliers import prove_multiplier

    p = prove_multiplier("resolution", spec="efficientnet")
    notes = " ".join(p.notes)
    assert "EfficientNet's own range over its variants (resolution ∈ {224, 240, 260, 300, 380, 456, 528, 600})" in notes
    assert "width_mult between 1 and 2" in notes and "resolution between 224 and 600" in notes
    assert "1/4" not in notes and "paper's multiplier range" not in notes
    assert [r[0] for r in p.tables[0].rows] == ["224", "240", "260", "300", "380", "456", "528", "600"]


def test_width_multiplier_proof_checks_b7s_width_exactly():
    from archcalc.proofs.multipliers import prove_multiplier

    p = prove_multiplier("width", spec="efficientnet")
    rows = {r[0]: r for r in p.tables[0].rows}
    assert rows["2"][1] == rows["2"][2] == "1,449,958,848" and rows["2"][-1] == "✓"
    assert "MobileNet" in " ".join(prove_multiplier("width").notes)  # MobileNet keeps the paper's alpha values
