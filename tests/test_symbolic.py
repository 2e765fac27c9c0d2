"""Symbolic mode (the ideal model) on MobileNet v1: exact at the paper's 16 grid points, right shape.

MobileNet's widths are multiples of 32 and its strides multiply to 32, so at
alpha in {1, 3/4, 1/2, 1/4} and rho in {1, 6/7, 5/7, 4/7} (inputs 224, 192,
160, 128) every channel count is integral and every size divides by its
stride: the ideal model and the exact model coincide, and the symbolic totals
evaluated there (xreplace, then int) must equal the numeric totals exactly.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from archcalc.api import analyze

ALPHAS = [Fraction(1), Fraction(3, 4), Fraction(1, 2), Fraction(1, 4)]
RHOS = [Fraction(1), Fraction(6, 7), Fraction(5, 7), Fraction(4, 7)]
A, R = sympy.Symbol("alpha", positive=True), sympy.Symbol("rho", positive=True)

# Table 1 of the paper (with the official last dw stride 1), computed here independently.
WIDTHS = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]


@pytest.fixture(scope="module")
def symbolic():
    return analyze("mobilenet", symbolic=True, symbols=["alpha", "rho"])


def at(expr, alpha, rho):
    return int(sympy.sympify(expr).xreplace({A: sympy.Rational(alpha.numerator, alpha.denominator),
                                             R: sympy.Rational(rho.numerator, rho.denominator)}))


@pytest.mark.parametrize("alpha", ALPHAS, ids=str)
@pytest.mark.parametrize("rho", RHOS, ids=str)
def test_symbolic_equals_numeric_on_the_grid(symbolic, alpha, rho):
    num = analyze("mobilenet", vars={"alpha": str(alpha), "rho": str(rho)}).totals
    sym = symbolic.totals
    assert at(sym["macs"], alpha, rho) == num["macs"]
    assert at(sym["params"], alpha, rho) == num["params"]
    assert at(sym["flops"], alpha, rho) == num["flops"]
    assert at(sym["activations"], alpha, rho) == num["activations"]
    for kind, v in sym["params_by_kind"].items():
        assert at(v, alpha, rho) == num["params_by_kind"][kind], kind


def _hand_terms():
    """Coefficients of the MACs polynomial, from Table 1: (alpha^2 rho^2, alpha rho^2, alpha)."""
    size, cin = 112, 32
    pw, dw = 0, 112 * 112 * 27 * 32                  # conv0: 3x3x3 -> 32 at 112x112 (scales alpha rho^2)
    for w, s in zip(WIDTHS, STRIDES):
        size //= s
        dw += size * size * 9 * cin                  # depthwise 3x3 on cin channels
        pw += size * size * cin * w                  # pointwise cin -> w
        cin = w
    return pw, dw, 1024 * 1000                       # the classifier: 1024 alpha -> 1000 (no rho)


def test_macs_polynomial_structure(symbolic):
    macs = sympy.expand(symbolic.totals["macs"])
    poly = sympy.Poly(macs, A, R)
    assert poly.degree(A) == 2 and poly.degree(R) == 2
    pw, dw, fc = _hand_terms()
    assert poly.coeff_monomial(A**2 * R**2) == pw
    assert poly.coeff_monomial(A * R**2) == dw
    assert poly.coeff_monomial(A) == fc
    assert len(poly.terms()) == 3                    # nothing else: no constant, no alpha^2 alone
    assert pw + dw + fc == 568_740_352               # the paper's 569M (notes: 568,740,352)


def test_params_polynomial_structure(symbolic):
    params = sympy.Poly(sympy.expand(symbolic.totals["params"]), A, R)
    assert params.degree(R) == 0                     # parameters do not depend on resolution
    assert params.degree(A) == 2


def test_symbolic_output_says_ideal_model(symbolic):
    d = symbolic.to_dict()
    assert d["model_kind"] == "ideal" and "ideal" in d["conventions"]
    assert isinstance(d["totals"]["macs"], str) and "alpha" in d["totals"]["macs"]


def test_structural_var_cannot_be_a_symbol():
    from archcalc.errors import SpecError

    with pytest.raises(SpecError, match="structural"):
        analyze("mobilenet", symbolic=True, symbols=["full_conv"])


# --- hot paths (issue 16): a symbolic analysis evaluates no Max, no cancel, no assumption query ---

def _forbid(monkeypatch, obj, name):
    def boom(*a, **k):
        raise AssertionError(f"{name} called on a symbolic hot path")
    monkeypatch.setattr(obj, name, boom)


def test_symbolic_max_is_built_unevaluated(monkeypatch):
    # EfficientNet's SE width max(1, int(cin * se_ratio)) used to run sympy's Max evaluation
    # (_find_localzeros -> factor_terms) on every block; the formula is the same without it.
    from sympy.functions.elementary.miscellaneous import MinMaxBase

    _forbid(monkeypatch, MinMaxBase, "_find_localzeros")
    a = analyze("efficientnet", variant="b0", symbolic=True)
    assert a.totals["params"].has(sympy.Max)


def test_symbolic_shape_checks_do_not_cancel(monkeypatch):
    # ResNet's residual adds compare symbolic H, W (resolution is a symbol) of both inputs:
    # structural ==/expand decide (32 cancel calls before).
    _forbid(monkeypatch, sympy, "cancel")
    a = analyze("resnet", variant="50", symbolic=True)
    assert "resolution" in a.symbols
    assert a.totals["params"].free_symbols


def test_symbolic_minmax_folds_numbers_and_keeps_formula():
    from archcalc.spec.expr import evaluate

    c = sympy.Symbol("c", positive=True)
    assert evaluate("max(1, 2, c / 4)", {"c": c}) == sympy.Max(2, c / 4)
    assert evaluate("min(c, c, 3)", {"c": c}) == sympy.Min(3, c)
    assert evaluate("max(c, 5)", {"c": c}).subs(c, 2) == 5


# --- issue 16, session 18: polynomial expansion, SE gate checks, one ideal build -------------

def test_layer_formulas_are_multiplied_out_without_sympy_expand(monkeypatch):
    # DenseNet's ~700 distinct layer formulas are monomials times sums of monomials; cost
    # distributes them itself (sympy.expand was ~0.5 s of DenseNet-264's symbolic analysis).
    # Only the few non-polynomial formulas (Max, rational functions) may reach sympy.expand.
    from archcalc import cost

    cost._terms.cache_clear()
    calls = []
    real = sympy.expand
    monkeypatch.setattr(sympy, "expand", lambda e, *a, **k: calls.append(e) or real(e, *a, **k))
    a = analyze("densenet", variant="121", symbolic=True)
    cost._terms.cache_clear()
    assert a.totals["macs"].is_Add and len(a.totals["macs"].args) > 10
    assert len(calls) <= 5, calls[:5]


def _random_formulas():
    import random

    rng = random.Random(16)
    x, y, z = sympy.symbols("x y z", positive=True)
    atoms = [x, y, z, x ** 2, 1 / y, sympy.Rational(3, 7), sympy.Integer(-2), 5 * x * z]
    out = []
    for _ in range(300):
        e = sympy.Integer(0)
        for _ in range(rng.randint(1, 3)):
            t = sympy.Integer(rng.randint(1, 9))
            for _ in range(rng.randint(1, 3)):
                f = sum(rng.sample(atoms, rng.randint(1, 3)))
                t = t * (f ** rng.randint(1, 3) if rng.random() < 0.3 else f)
            e = e + t
        out.append(e)
    # products with bases expand leaves alone (EfficientNet's Max SE width, gamma**phi)
    g, p = sympy.symbols("gamma phi", positive=True)
    bases = [sympy.Max(1, x / 4), g ** p, g ** (2 * p), g, x ** p, sympy.Max(1, 8 * g ** p) ** 2, 1 / sympy.Max(1, y)]
    for _ in range(200):
        e = sympy.Integer(rng.randint(-3, 3))
        for _ in range(rng.randint(1, 3)):
            t = sympy.Rational(rng.randint(1, 9), rng.randint(1, 3))
            for _ in range(rng.randint(1, 3)):
                f = sum(rng.sample(bases + atoms, rng.randint(1, 3)))
                t = t * (f ** rng.randint(1, 2) if rng.random() < 0.3 else f)
            e = e + t
        out.append(e)
    # and the non-polynomial shapes, which must fall back to sympy.expand
    out += [x ** (p + 1) * (x + 1), g ** (p + 1) + g * (g ** p + 1), sympy.Max(1, x * (y + 1)) * (x + 1),
            sympy.Float(0.5) * x * (x + 1) + x, sympy.sqrt(2) * (x + 1), sympy.Max(1, 4 * x) * (x + 1), (x + 1) / (y + 1), sympy.sqrt(x * y) * (x + y),
            (x + y) ** sympy.Rational(1, 2) * x, sympy.ceiling(x / 2) * (y + 1), 1 / (x + y) ** 2]
    return out


def test_own_expansion_is_sympy_expand_exactly():
    # The same canonical expression (srepr), not just an equal one: formulas stay unchanged.
    from archcalc import cost

    for e in _random_formulas():
        cost._terms.cache_clear()
        cost._poly.cache_clear()
        assert sympy.srepr(cost._from_terms(cost._terms(e))) == sympy.srepr(sympy.expand(e)), e


def test_sums_of_coefficients_are_sympy_add_exactly():
    # Totals add {monomial: coefficient} dicts and build one Add: the same expression as
    # sympy's Add of the expanded terms (srepr), for sums of many formulas at once too.
    import random

    from archcalc import cost

    forms = _random_formulas()
    rng = random.Random(20)
    for _ in range(60):
        vals = rng.sample(forms, rng.randint(1, 40)) + [0, 3]
        want = sympy.Add(*(sympy.expand(v) for v in vals))
        assert sympy.srepr(cost._sum(vals, True)) == sympy.srepr(want), vals


def test_unequal_symbolic_sizes_are_told_apart_at_a_point(monkeypatch):
    # An SE gate [C, 1, 1] against a [C, H, W] map: H vs 1 used to go to expand and then cancel
    # (~0.18 s of EfficientNet-B7's analysis); a nonzero difference at one point decides.
    from archcalc.ops.merge import _same

    r, c = sympy.symbols("resolution c", positive=True)
    _forbid(monkeypatch, sympy, "cancel")
    _forbid(monkeypatch, sympy, "expand")
    assert not _same(r / 32, 1)
    assert not _same(c * r / 16, c * r / 16 + 1)
    assert _same(c * r / 16, c * r / 16)
    monkeypatch.undo()
    # equal functions in different forms still need expand or cancel, and are still equal
    assert _same(c * (r + 1), c * r + c)
    assert _same((r ** 2 - 1) / (r - 1), r + 1)
    assert not _same(r - r + 1, 2)


def test_symbolic_analysis_builds_the_ideal_network_once(monkeypatch):
    # ResNet has no derived vars: the first ideal build, every free var a symbol, is final.
    # DenseNet's derived init (2 * growth) is not structural: the same first build is final
    # (before, a trial with init as its own symbol came first: one whole build more).
    # EfficientNet-B0's depth_mult is structural: that first build stops at the first repeat
    # count and names it; the next round's first build holds depth_mult and is final.
    from archcalc import api

    real = api._build
    ideal = []
    monkeypatch.setattr(api, "_build", lambda lo, p, v, ctx: ideal.append(ctx.ideal) or real(lo, p, v, ctx))
    analyze("resnet", variant="50", symbolic=True)
    assert ideal == [False, True]
    ideal.clear()
    analyze("densenet", variant="121", symbolic=True)
    assert ideal == [False, True]
    ideal.clear()
    a = analyze("efficientnet", variant="b0", symbolic=True)
    assert ideal == [False, True, True] and "phi" in a.symbols


# --- issue 16, session s20: sums of coefficients, no per-layer sums nobody reads -------------

def _clear_cost_caches():
    from sympy.core.cache import clear_cache

    from archcalc import cost

    clear_cache()  # sympy's own: an Add built before is not built again
    for name in ("_terms", "_poly", "_is_atom", "_monomial"):
        f = getattr(cost, name, None)
        if f is not None:
            f.cache_clear()


def _count_adds(monkeypatch):
    """Spy on sympy's Add construction: the argument count of every flatten."""
    sizes = []
    real = sympy.Add.flatten.__func__
    monkeypatch.setattr(sympy.Add, "flatten", classmethod(lambda cls, seq: sizes.append(len(seq)) or real(cls, seq)))
    return sizes


def test_totals_add_coefficients_not_hundreds_of_terms(monkeypatch):
    # A total is one Add of its distinct monomials (DenseNet-121's MACs: 14), built from
    # coefficients added per monomial; it was an Add of 427 expanded layer formulas, flattened
    # again for every kind, total and op.
    from archcalc import cost

    a = analyze("densenet", variant="121", symbolic=True)
    _clear_cost_caches()
    sizes = _count_adds(monkeypatch)
    t = cost.totals(a.network, a.layers)
    cost.by_op(a.layers, True)
    monkeypatch.undo()
    assert sizes and max(sizes) <= 40, max(sizes)
    assert t["macs"] == sympy.expand(sum(c.macs for c in a.layers))


def test_totals_expand_no_formula_with_max(monkeypatch):
    # EfficientNet's SE widths Max(1, 4*width_mult) and its gamma**phi stand in products like
    # symbols: sympy.expand sees only those atoms (to check expand leaves them alone), never a
    # layer formula (124 formulas went to expand before).
    from archcalc import cost

    a = analyze("efficientnet", symbolic=True)
    _clear_cost_caches()
    seen = []
    real = sympy.expand
    monkeypatch.setattr(sympy, "expand", lambda e, *x, **k: seen.append(e) or real(e, *x, **k))
    t = cost.totals(a.network, a.layers)
    monkeypatch.undo()
    assert t["params"].has(sympy.Max) and t["macs"].has(sympy.Pow)
    assert seen and all(e.is_Function or (e.is_Pow and not e.exp.is_Integer) for e in seen), seen[:3]


def test_symbolic_summary_builds_no_layer_reads_or_flops(monkeypatch):
    # A layer's reads (inputs + params) and flops (the sum of its kinds) are built when first
    # read; the summary reads neither. Built later, they are what the eager sums gave.
    from archcalc import cost
    from archcalc.values import numel

    a = analyze("densenet", variant="121", symbolic=True)
    a.table("table", per_layer=False)
    _clear_cost_caches()
    sizes = _count_adds(monkeypatch)
    net = a.network
    got = [(c.reads, c.flops) for c in a.layers]
    monkeypatch.undo()
    assert len(sizes) > 100  # the deferred sums, built now
    for lay, c, (reads, flops) in zip(net.layers, a.layers, got):
        assert reads == sum(numel(s) for s in lay.in_shapes) + c.params, lay.name
        assert flops == sum(c.flops_by_kind.values()), lay.name
    assert cost.LayerCost.__dict__["reads"].__get__(a.layers[5]) == a.layers[5].reads  # stored once built


def test_symbolic_layer_costs_count_each_shape_once(monkeypatch):
    # A layer's input is its producer's output: its element count (a product of symbolic
    # sizes) is built once per distinct shape, not per layer and input (589 -> 78 on DenseNet-121).
    from archcalc import cost

    a = analyze("densenet", variant="121", symbolic=True)
    calls = []
    real = cost.numel
    monkeypatch.setattr(cost, "numel", lambda s: calls.append(s) or real(s))
    layers = cost.layer_costs(a.network)
    _ = [c.reads for c in layers]
    shapes = {tuple(lay.out_shape) for lay in a.network.layers} | {
        tuple(s) for lay in a.network.layers for s in lay.in_shapes}
    assert len(calls) <= len(shapes) < len(a.network.layers)
    assert [c.activations for c in layers] == [c.activations for c in a.layers]


def test_sizes_with_symbolic_exponents_are_told_apart_at_a_point(monkeypatch):
    # EfficientNet's resolution round(224 * gamma**phi): its SE gates compared H = 112*gamma**phi/2
    # with 1 by expand and cancel (10 cancels per default analysis); the exponent's symbol gets
    # an integer at the probe point, so the difference is rational there and decides.
    from archcalc.ops.merge import _same

    g, p, w = sympy.symbols("gamma phi width_mult", positive=True)
    _forbid(monkeypatch, sympy, "cancel")
    _forbid(monkeypatch, sympy, "expand")
    assert not _same(56 * g ** p, 1)
    assert not _same(28 * g ** p - sympy.Rational(1, 2), 14 * g ** p)
    assert not _same(w * g ** (2 * p), w * g ** p)
    monkeypatch.undo()
    assert _same(g ** p * (g ** p + 1), g ** (2 * p) + g ** p)
    _forbid(monkeypatch, sympy, "cancel")
    a = analyze("efficientnet", symbolic=True)
    assert "phi" in a.symbols and a.totals["macs"].has(g ** (2 * p))


def test_element_counts_are_numels_exactly():
    # _IdealCosts multiplies C by H*W at once where numel multiplies (C*H)*W: the same
    # expression (srepr) for every formula as C and any int sizes.
    import random

    from archcalc.cost import _IdealCosts
    from archcalc.values import numel

    rng = random.Random(7)
    for e in _random_formulas():
        for shape in ((e, rng.randint(1, 60), rng.randint(1, 60)), (e, 1, 1), (e, 7), (e, 3, 5, 2), (e,)):
            assert sympy.srepr(_IdealCosts().numel(shape)) == sympy.srepr(numel(shape)), shape
