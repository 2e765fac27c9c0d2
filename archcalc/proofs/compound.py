"""Compound scaling (Tan & Le 2019, §3.3): why FLOPs grow by about 2^φ, and where a real network departs.

Part 1 derives, from archcalc's ``conv2d`` formula on symbolic shapes, that a
stack of standard convolutions scaled by depth d, width w and resolution r
costs ``d·w²·r²`` times the base, hence ``(α·β²·γ²)^φ`` with d = α^φ,
w = β^φ, r = γ^φ. Part 2 confronts this with the EfficientNet spec: every
layer kind has its own exponent (depthwise w·r², SE w², classifier w, stem and
head not depth-scaled), so the network's ideal continuous cost is a sum of
terms; the released B1…B7 also round channels and repeats. Part 3 is the
paper's grid search over α, β, γ (its cost half only).

>>> p = prove_stack()
>>> p.holds, p.results["flops_ratio"]
(True, alpha**phi*beta**(2*phi)*gamma**(2*phi))
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from archcalc.api import analyze, load
from archcalc.ops.conv import Conv2d
from archcalc.ops.linear import Linear
from archcalc.proofs.dsc import conv_cost
from archcalc.proofs.proof import Proof, Step, Table, equal

ALPHA, BETA, GAMMA = Fraction(6, 5), Fraction(11, 10), Fraction(23, 20)  # paper §3.3
DEFAULT_SPEC = "efficientnet"
BASE_RES = 224
#: layer kinds and the exponents of (d, w, r) an ideal scaling gives each one
KINDS = {
    "stem conv": (0, 1, 2),
    "pointwise conv (1×1 in blocks)": (1, 2, 2),
    "depthwise conv": (1, 1, 2),
    "SE convs (on the pooled vector)": (1, 2, 0),
    "head conv": (0, 2, 2),
    "classifier (linear)": (0, 1, 0),
    "other conv in blocks": (1, 2, 2),
}


# ------------------------------------------------------------ part 1 --
def stack_steps() -> tuple[list[Step], dict[str, Any], bool]:
    """d·w²·r² for a stack of standard convs, from the conv2d MAC formula, then (α·β²·γ²)^φ."""
    import sympy

    d, w, r = sympy.symbols("d w r", positive=True)
    C, H, L, k = sympy.symbols("C H L k", positive=True)
    a, b, g, phi = sympy.symbols("alpha beta gamma phi", positive=True)
    _, base = conv_cost(C, C, k, H)
    _, scaled = conv_cost(w * C, w * C, k, r * H)
    ratio = sympy.simplify(d * L * scaled / (L * base))
    flops = ratio.subs({d: a**phi, w: b**phi, r: g**phi})
    compact = (a * b**2 * g**2) ** phi
    paper = ALPHA * BETA**2 * GAMMA**2
    F = sympy.Symbol
    checks = [equal(ratio, d * w**2 * r**2), equal(flops, compact),
              equal(flops.subs({a: 2 / (b**2 * g**2)}), 2**phi)]
    steps = [
        Step("One k×k conv, C → C channels on an H×H map (archcalc's conv2d MAC formula)",
             sympy.Eq(F("MACs_layer"), base)),
        Step("Scale width by w (both C_in and C_out become w·C) and resolution by r (H and W become r·H)",
             sympy.Eq(F("MACs_layer'"), scaled)),
        Step("Depth d multiplies the number of layers L; divide the scaled stack by the base stack",
             (F("FLOPs'") / F("FLOPs"), sympy.Mul(d * L * scaled, sympy.Pow(L * base, -1), evaluate=False), ratio)),
        Step("Depth is linear, width squared (C_in and C_out), resolution squared (H and W)",
             sympy.Eq(F("FLOPs'") / F("FLOPs"), d * w**2 * r**2)),
        Step("Compound scaling d = α^φ, w = β^φ, r = γ^φ; sympy: simplify(lhs − rhs) == 0",
             (F("FLOPs'") / F("FLOPs"), flops, compact)),
        Step("Under the constraint α·β²·γ² = 2 (substitute α = 2/(β²·γ²))",
             (F("FLOPs'") / F("FLOPs"), 2**phi)),
        Step(f"The paper's α = 1.2, β = 1.1, γ = 1.15 give α·β²·γ² = {paper} ≈ {float(paper):.4f}, "
             f"so FLOPs grow by ≈ {float(paper):.3f}^φ ≈ 2^φ",
             sympy.Eq(F("alpha") * F("beta") ** 2 * F("gamma") ** 2, sympy.Rational(paper.numerator, paper.denominator))),
    ]
    return steps, {"flops_ratio": flops, "stack_ratio": ratio}, all(checks)


def prove_stack() -> Proof:
    """Part 1 alone: the standard-conv stack identity."""
    steps, results, ok = stack_steps()
    return Proof("For a stack of standard convolutions, FLOPs scale by d·w²·r² = (α·β²·γ²)^φ ≈ 2^φ",
                 steps, ok, results, title="Compound scaling: the standard-conv stack")


# ------------------------------------------------------------ part 2 --
def layer_kind(lay) -> str | None:
    """The scaling kind of a layer (None: no MACs), from its op and position, not its name."""
    if isinstance(lay.op, Linear):
        return "classifier (linear)"
    if not isinstance(lay.op, Conv2d):
        return None
    cin, h, w = lay.in_shapes[0]
    if lay.op.layer_kind(lay.in_shapes) == "depthwise":
        return "depthwise conv"
    if not lay.blocks:
        return "stem conv" if lay.op.kernel_size not in (1, [1, 1]) else "head conv"
    if h == 1 and w == 1:
        return "SE convs (on the pooled vector)"
    if lay.op.kernel_size in (1, [1, 1]):
        return "pointwise conv (1×1 in blocks)"
    return "other conv in blocks"


def macs_by_kind(a) -> dict[str, dict[str, Any]]:
    """MACs of an Analysis per kind, split into depth-scaled (inside blocks) and fixed."""
    out: dict[str, dict[str, Any]] = {}
    for lay, c in zip(a.network.layers, a.layers):
        kind = layer_kind(lay)
        if kind is None:
            continue
        slot = out.setdefault(kind, {"body": 0, "fixed": 0})
        slot["body" if lay.blocks else "fixed"] += c.macs
    return out


def _drop_max(expr):
    """``Max(1, c·w) → c·w``: SE's ``max(1, …)`` floor never binds for w ≥ 1/4 (B0 channels ≥ 16)."""
    import sympy

    return expr.replace(lambda e: isinstance(e, sympy.Max),
                        lambda e: next(x for x in e.args if x.free_symbols))


def ideal_model(spec=DEFAULT_SPEC):
    """Per-kind B0 MACs as polynomials in width_mult and resolution (the ideal continuous model)."""
    import sympy

    a = analyze(spec, variant="b0", symbolic=True, symbols=["width_mult", "resolution"])
    w, R = sympy.symbols("width_mult resolution", positive=True)
    kinds = {k: {part: sympy.expand(_drop_max(sympy.sympify(v))) for part, v in parts.items()}
             for k, parts in macs_by_kind(a).items()}
    return kinds, w, R


def ideal_macs(kinds, w, R, dv, wv, rv) -> dict[str, Any]:
    """Ideal continuous MACs per kind at depth dv, width wv, resolution rv (body cost × d, unrounded)."""
    return {k: dv * p["body"].subs({w: wv, R: rv}) + p["fixed"].subs({w: wv, R: rv}) for k, p in kinds.items()}


def exponent_checks(kinds, w, R) -> tuple[list[Step], bool]:
    """Check symbolically that each kind scales with its own exponent of (w, r)."""
    import sympy

    r, w_ = sympy.symbols("r w", positive=True)
    steps, all_ok = [], True
    for kind, p in kinds.items():
        e_d, e_w, e_r = KINDS[kind]
        base = (p["body"] + p["fixed"]).subs({w: 1, R: BASE_RES})
        got = sympy.factor((p["body"] + p["fixed"]).subs({w: w_, R: BASE_RES * r}) / base)
        ok = equal(got, w_**e_w * r**e_r)
        all_ok = all_ok and ok
        depth = "times d (inside blocks)" if e_d else "not depth-scaled"
        if ok:
            steps.append(Step(f"{kind}: MACs(w, r) / MACs(1, 1) from the B0 spec, {depth}",
                              sympy.Eq(sympy.Symbol("ratio"), got)))
        else:
            steps.append(Step(f"{kind}: expected w^{e_w}·r^{e_r}, got {got}: does not hold"))
    return steps, all_ok


#: what a compound-scaled family must declare (``phi`` drives the "spec at phi" column)
FAMILY_VARS = ("width_mult", "depth_mult", "resolution", "phi")


def check_family(spec):
    """The loaded spec, or a one-line SpecError naming what a compound-scaled family lacks.

    The argument needs the released models as variants ``b0``, ``b1``, … (``b0`` the baseline)
    and the scaling coefficients as vars.
    """
    from archcalc.errors import SpecError

    loaded = load(spec)
    absent_vars = [v for v in FAMILY_VARS if v not in loaded.spec.vars]
    missing = ([] if "b0" in loaded.spec.variants else ["variant b0"]) \
        + ([f"var{'s' if len(absent_vars) > 1 else ''} {', '.join(absent_vars)}"] if absent_vars else [])
    if missing:
        raise SpecError(f"prove compound-scaling needs a compound-scaled family like 'efficientnet' (variants "
                        f"b0, b1, … and vars {', '.join(FAMILY_VARS)}); {loaded.spec.name} lacks "
                        f"{'; '.join(missing)}")
    return loaded


def _official(loaded) -> dict:
    """The numeric analyses of the released models: every variant named b…, by name."""
    names = [v for v in loaded.spec.variants if v.startswith("b")]
    return {v: analyze(loaded, variant=v) for v in names}


def prove_compound(spec: str = DEFAULT_SPEC, tolerance: float = 0.05, step: float = 0.05) -> Proof:
    """The whole argument: the stack identity, the per-kind exponents, the B0…B7 tables, the grid search."""
    check_grid(tolerance, step)  # fail fast, before the expensive analyses
    loaded = check_family(spec)
    steps, results, ok = stack_steps()
    kinds, w, R = ideal_model(loaded)
    exp_steps, exp_ok = exponent_checks(kinds, w, R)
    ok = ok and exp_ok
    official = _official(loaded)
    b0 = official["b0"]
    b0_kinds = {k: p["body"] + p["fixed"] for k, p in macs_by_kind(b0).items()}
    ideal_b0 = ideal_macs(kinds, w, R, 1, 1, BASE_RES)
    spot = all(int(ideal_b0[k]) == b0_kinds[k] for k in kinds) and set(kinds) == set(b0_kinds)
    ok = ok and spot
    steps.append(Step("Confront with the EfficientNet spec: each layer kind has its own exponent "
                      "(symbolic analysis of B0 in width_mult = w and resolution = 224·r, ideal model)"))
    steps += exp_steps
    steps.append(Step(f"Spot-check: the ideal B0 formulas at w = 1, resolution 224 equal the numeric engine's "
                      f"per-kind MACs (total {b0.totals['macs']:,})" + (" ✓" if spot else " ✗")))
    steps.append(Step("So the network's cost is a sum of terms d·w²·r², d·w·r², d·w², w·r², w²·r², w — "
                      "not one power; the depthwise, SE and classifier terms grow slower than d·w²·r², "
                      "and the stem and head are not depth-scaled"))
    tables = [ratio_table(kinds, w, R, official, loaded), deviation_table(official),
              grid_table(kinds, w, R, loaded, b0.totals["macs"], tolerance, step)]
    results["measured"] = {v: a.totals["macs"] for v, a in official.items()}
    return Proof(
        claim="Scaling depth by d = α^φ, width by w = β^φ and resolution by r = γ^φ multiplies the FLOPs "
              "of a standard-conv stack by (α·β²·γ²)^φ ≈ 2^φ; a real EfficientNet deviates, layer kind by kind",
        steps=steps, holds=ok, results=results, tables=tables,
        notes=["MACs (what the paper calls FLOPS) of conv and linear layers, padded taps included.",
               "Ideal continuous model: channels w·c and resolution 224·r unrounded, every block's cost "
               "multiplied by a fractional depth d; SE's max(1, ·) floor dropped (it never binds for w ≥ 1/4).",
               "φ = n is attached to Bn for comparison only: the released B1…B7 coefficients were hand-picked "
               "and are not (α^φ, β^φ, γ^φ) for any single φ.",
               "The grid search's accuracy half needs training and is out of scope: only each candidate's "
               "cost is measured."],
        title="Compound scaling: why FLOPs grow by about 2^φ",
    )


def _coeffs(a) -> tuple[Fraction, Fraction, Fraction]:
    v = a.network.vars
    return Fraction(v["depth_mult"]), Fraction(v["width_mult"]), Fraction(v["resolution"], BASE_RES)


def ratio_table(kinds, w, R, official, loaded) -> Table:
    """MACs / B0 MACs: 2^φ, 1.92^φ, the ideal network, the spec's rounded φ-model, the official Bn."""
    b0 = official["b0"].totals["macs"]
    paper = ALPHA * BETA**2 * GAMMA**2
    rows = []
    for n, (variant, a) in enumerate(official.items()):
        phi = int(variant[1:]) if variant[1:].isdigit() else n
        ideal_phi = sum(ideal_macs(kinds, w, R, float(ALPHA) ** phi, float(BETA) ** phi,
                                   BASE_RES * float(GAMMA) ** phi).values())
        rounded = analyze(loaded, vars={"phi": str(phi)}).totals["macs"]
        dv, wv, rv = _coeffs(a)
        ideal_off = sum(ideal_macs(kinds, w, R, dv, wv, BASE_RES * rv).values())
        rows.append([variant, phi, f"{2.0 ** phi:.3f}", f"{float(paper) ** phi:.3f}", f"{float(ideal_phi) / b0:.3f}",
                     f"{rounded / b0:.3f}", f"d={float(dv):g} w={float(wv):g} r={float(rv):.3f}",
                     f"{float(dv * wv**2 * rv**2):.3f}", f"{float(ideal_off) / b0:.3f}",
                     f"{a.totals['macs'] / b0:.3f}"])
    return Table("MACs relative to B0 (φ = n for Bn)",
                 ["model", "φ", "2^φ", "1.92^φ = (α·β²·γ²)^φ", "ideal network at (α^φ, β^φ, γ^φ)",
                  "spec at phi (rounded)", "official (d, w, r)", "d·w²·r²", "ideal network at official",
                  "official Bn (measured)"], rows)


def deviation_table(official) -> Table:
    """(measured − d·w²·r² × B0) by layer kind, in units of B0's total MACs."""
    b0 = official["b0"]
    base = {k: p["body"] + p["fixed"] for k, p in macs_by_kind(b0).items()}
    total0 = b0.totals["macs"]
    kinds = list(base)
    rows = []
    for variant, a in official.items():
        dv, wv, rv = _coeffs(a)
        s = dv * wv**2 * rv**2
        got = {k: p["body"] + p["fixed"] for k, p in macs_by_kind(a).items()}
        devs = [Fraction(got.get(k, 0)) - s * base[k] for k in kinds]
        rows.append([variant, f"{float(s):.3f}", f"{a.totals['macs'] / total0:.3f}"]
                    + [f"{float(x / total0):+.3f}" for x in devs] + [f"{float(sum(devs) / total0):+.3f}"])
    share = ["B0 share", "", ""] + [f"{100 * base[k] / total0:.1f} %" for k in kinds] + ["100 %"]
    return Table("Deviation of the official models from d·w²·r², by layer kind (units of B0 MACs; "
                 "columns sum to measured − d·w²·r²)",
                 ["model", "d·w²·r²", "measured"] + kinds + ["total"], [share] + rows)


#: grid search limits: points per axis, and candidates (each one is a full network analysis)
MAX_AXIS = 201
MAX_CANDIDATES = 500


def grid(tolerance: float, step: float, target: float = 2.0, top: float = 2.0) -> list[tuple[Fraction, ...]]:
    """α, β, γ ≥ 1 on a grid of ``step`` with |α·β²·γ² − target| ≤ tolerance.

    >>> (Fraction(6, 5), Fraction(11, 10), Fraction(23, 20)) in grid(0.1, 0.05)
    True
    """
    from archcalc.errors import SettingError

    st = Fraction(step).limit_denominator(1000)
    if st <= 0:
        raise SettingError("step", f"{step} is too small (the grid step must be at least 0.001)",
                           form="{setting} {detail}")
    n = int((Fraction(top) - 1) / st)
    if n + 1 > MAX_AXIS:
        raise SettingError("step", f"{step} gives {n + 1} values per axis (limit {MAX_AXIS})",
                           form="{setting} {detail}; use a larger {setting}")
    from bisect import bisect_left, bisect_right

    axis = [1 + i * st for i in range(n + 1)]
    squares = [g * g for g in axis]
    tol, tgt = Fraction(tolerance).limit_denominator(10**6), Fraction(target)
    out = []
    for a in axis:
        for b in axis:
            # |a·b²·g² − tgt| ≤ tol  ⇔  g² ∈ [(tgt − tol)/(a·b²), (tgt + tol)/(a·b²)]
            lo, hi = (tgt - tol) / (a * b * b), (tgt + tol) / (a * b * b)
            out += [(a, b, axis[i]) for i in range(bisect_left(squares, lo), bisect_right(squares, hi))]
    return out


def check_grid(tolerance: float, step: float) -> list[tuple[Fraction, ...]]:
    """The grid search's candidates, or a SpecError for bad or too expensive ``tolerance``/``step``."""
    from archcalc.errors import SettingError

    import math

    for name, value in (("tolerance", tolerance), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SettingError(name, f"must be a finite number, got {value}", form="{setting} {detail}")
    if tolerance <= 0 or step <= 0:
        raise SettingError("tolerance", f"must be > 0, got {tolerance} and {step}",
                           form="{setting} and {step} {detail}", mentions=("step",))
    candidates = grid(tolerance, step)
    if len(candidates) > MAX_CANDIDATES:
        raise SettingError("step", f"the grid search has {len(candidates)} candidates (limit {MAX_CANDIDATES}, "
                           "each one a full network analysis)",
                           form="{detail}; use a larger {setting} or a smaller {tolerance}", mentions=("tolerance",))
    return candidates


def grid_table(kinds, w, R, spec, b0_macs, tolerance: float, step: float) -> Table:
    """The paper's grid search, cost half: each candidate's measured MACs ratio at φ = 1 on the B0 spec."""
    from archcalc.workers import fork_start

    candidates = check_grid(tolerance, step)
    loaded = load(spec)

    def measured(c) -> int:  # the candidate's MACs at φ = 1 on the B0 spec
        a_, b_, g_ = c
        return analyze(loaded, vars={"depth_mult": str(a_), "width_mult": str(b_),
                                     "resolution": str(round(BASE_RES * g_))}).totals["macs"]

    # the candidates' analyses in forked workers while this process works out the ideal MACs
    with fork_start(measured, candidates) as pending:
        ideals = [sum(ideal_macs(kinds, w, R, a_, b_, BASE_RES * g_).values()) for a_, b_, g_ in candidates]
        measured_macs = pending.results()
    rows = []
    for (a_, b_, g_), macs, ideal in zip(candidates, measured_macs, ideals):
        res = round(BASE_RES * g_)
        rows.append([f"{float(a_):.2f}", f"{float(b_):.2f}", f"{float(g_):.2f}", f"{float(a_ * b_**2 * g_**2):.4f}",
                     res, f"{float(ideal) / b0_macs:.3f}", f"{macs / b0_macs:.3f}"])
    return Table(f"Grid search (cost half), φ = 1: α, β, γ ≥ 1 in steps of {step}, |α·β²·γ² − 2| ≤ {tolerance}; "
                 "MACs relative to B0 (accuracy would need training: out of scope)",
                 ["α (depth)", "β (width)", "γ (resolution)", "α·β²·γ²", "resolution", "ideal network", "measured (rounded)"],
                 rows)
