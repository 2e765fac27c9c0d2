"""Width and resolution multipliers (Howard et al. 2017, §3.3–3.4) as exact polynomials.

The symbolic analysis of a spec (``analyze(spec, symbolic=True, symbols=[…])``)
gives its total MACs and params as polynomials in the width var (α) and the
resolution var (ρ). Collecting by powers shows that cost is dominated by the
α² (and ρ²) terms — the pointwise convs — and gives the exact quadratic share;
numeric spot-checks compare the formula with the numeric engine.

>>> p = prove_multiplier("width")
>>> p.holds, p.results["quadratic_share_macs"]
(True, '1053696/1110821')
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from archcalc.api import analyze, load, resolve
from archcalc.errors import SettingError, SpecError
from archcalc.proofs.proof import Proof, Step, Table, equal, greek

WIDTH_VARS = ("width_mult", "widen", "alpha", "width", "growth")
RESOLUTION_VARS = ("rho", "resolution")
#: spot-check points for multipliers whose base value is 1 (the paper's α and ρ values)
POINTS = {"width": ("3/4", "1/2", "1/4"), "resolution": ("6/7", "5/7", "4/7")}


def pick_symbol(spec_vars: dict, kind: str, symbol: str | None = None) -> str:
    """The spec var that plays the width (or resolution) multiplier."""
    if symbol is not None:
        if symbol not in spec_vars:
            raise SettingError("symbol", f"the spec has no var '{symbol}' (its vars: {', '.join(spec_vars)})")
        return symbol
    for name in WIDTH_VARS if kind == "width" else RESOLUTION_VARS:
        if name in spec_vars:
            return name
    raise SettingError("symbol", f"the spec has no {kind} var (looked for "
                       f"{', '.join(WIDTH_VARS if kind == 'width' else RESOLUTION_VARS)})",
                       form="{detail}; name one with {setting}")


def spec_range(loaded, name: str) -> list:
    """The values a var takes at the spec's defaults and over its variants, sorted (one value: no range).

    EfficientNet's variants give ``width_mult`` 1.0 ... 2.0 and ``resolution``
    224 ... 600 (B0-B7); MobileNet's variants do not vary ``alpha``.
    """
    from archcalc.api import resolve

    points = [None] if loaded.spec.default_variant is None else []
    values = set()
    for v in points + list(loaded.spec.variants):
        x = resolve(loaded, v).vars.get(name)
        if isinstance(x, (int, Fraction)) and not isinstance(x, bool):
            values.add(Fraction(x))
    return sorted(values)


def multiplier_range(loaded, name: str, kind: str, base) -> tuple[list, str]:
    """The range a multiplier is proved and spot-checked on, and where it comes from.

    The spec's own range when its variants vary the var (EfficientNet B0-B7); else,
    for a multiplier whose base is 1, the MobileNet paper's values (α ∈ {1, 3/4, 1/2,
    1/4}, ρ ∈ {1, 6/7, 5/7, 4/7}); else the base point alone.
    """
    own = spec_range(loaded, name)
    if len(own) <= 1 and base == 1:
        own, where = [Fraction(1)] + [Fraction(v) for v in POINTS[kind]], "the MobileNet paper's multiplier range"
    elif len(own) <= 1:
        return [Fraction(str(base))], "the spec's own point only"
    else:
        where = f"{loaded.spec.name}'s own range over its variants"
    return own, f"{where} ({name} ∈ {{{', '.join(str(v) for v in own)}}})"


def regime_point(kinds: dict, base: dict, ranges: dict | None = None) -> dict:
    """The point whose branch of every ``Max``/``Min`` the formula uses: each multiplier at its smallest spot-check value.

    ``kinds`` maps each symbol to "width" or "resolution". The spot-checks (α ∈ {1, 3/4, 1/2, 1/4},
    ρ ∈ {1, 6/7, 5/7, 4/7}) thin the network, so the polynomial is derived for the thinned range
    ``x ≤ base`` of every multiplier whose base is 1 — also of the one that is not proved (MobileNetV2's
    ``max(1, α)`` is a tie at α = 1; the resolution proof takes the α ≤ 1 branch, as the width proof does).
    """
    import sympy

    at = dict(base)
    for x, kind in kinds.items():
        values = (ranges or {}).get(x)
        if values:  # the end of the range farthest from the base
            lo, hi = sympy.Rational(str(min(values))), sympy.Rational(str(max(values)))
            at[x] = lo if abs(base[x] - lo) >= abs(hi - base[x]) else hi
        elif base[x] == 1:
            at[x] = min(sympy.Rational(v) for v in POINTS[kind])
    return at


def resolve_minmax(expr, ends: tuple[dict, dict]):
    """Replace each ``Max``/``Min`` by the argument that wins at both ends of a range of points.

    MobileNetV2's head ``1280·max(1, α)`` is not thinned for α < 1: on α ∈ [1/4, 1] it is 1280,
    not 1280·α; EfficientNet's SE ``max(1, 4·w)`` is 4·w there (a tie at w = 1/4). An argument
    that wins at both ends of the range wins in between (the arguments are monomials); if none
    does, the branch of the first end (the base point) is kept and reported with a ``?``.
    Returns the expression and the resolutions made (``Max(1, alpha) -> 1``).
    """
    import sympy

    made: list[str] = []

    def pick(e):
        args = list(e.args)
        best = max if isinstance(e, sympy.Max) else min
        winners = []
        for at in ends:
            vals = [a.subs(at) for a in args]
            top = best(vals)
            winners.append({i for i, v in enumerate(vals) if v == top})
        both = winners[0] & winners[1]
        i = min(both) if both else min(winners[0])
        made.append(f"{sympy.sstr(e)} -> {sympy.sstr(args[i])}" + ("" if both else " (?: switches in the range)"))
        return args[i]

    out = expr.replace(lambda e: isinstance(e, (sympy.Max, sympy.Min)), pick)
    return out, sorted(set(made))


def _poly_parts(expr, x) -> dict[int, Any]:
    """Coefficients of ``expr`` by power of ``x`` (other symbols stay in the coefficients)."""
    import sympy

    poly = sympy.Poly(sympy.expand(expr), x)
    return {m[0]: c for m, c in zip(poly.monoms(), poly.coeffs())}


def _share(parts: dict[int, Any], x, degree: int, at: dict) -> Fraction:
    """The share of the ``x**degree`` terms in the whole polynomial, at the point ``at``."""
    import sympy

    terms = {d: sympy.sympify(c * x**d).subs(at) for d, c in parts.items()}
    total = sum(terms.values())
    top = terms.get(degree, 0)
    return Fraction(str(sympy.nsimplify(top / total))) if total else Fraction(0)


def prove_multiplier(kind: str, spec: str = "mobilenet", variant: str | None = None,
                     symbol: str | None = None) -> Proof:
    """Cost and params as polynomials in the width (or resolution) var, collected by degree."""
    import sympy

    if kind not in ("width", "resolution"):
        raise SpecError(f"unknown multiplier '{kind}' (choose width or resolution)")
    loaded = load(spec)
    spec_vars = loaded.spec.vars
    name = pick_symbol(spec_vars, kind, symbol)
    other_kind = "resolution" if kind == "width" else "width"
    others = [n for n in (WIDTH_VARS if other_kind == "width" else RESOLUTION_VARS) if n in spec_vars][:1]
    symbols = [name] + [o for o in others if o != name]
    a = analyze(loaded, variant=variant, symbolic=True, symbols=symbols)
    point = resolve(loaded, variant).vars
    syms = {s: sympy.Symbol(s, positive=True) for s in a.symbols}
    if name not in syms:
        raise SpecError(f"var '{name}' is structural in {loaded.spec.name} and cannot be a symbol")
    x = syms[name]
    base = {syms[s]: sympy.nsimplify(point[s]) if not isinstance(point[s], Fraction)
            else sympy.Rational(point[s].numerator, point[s].denominator) for s in syms}
    kinds = {syms[s]: kind if s == name else other_kind for s in syms}
    ranges, sources = {}, {}
    for s in syms:
        if s in (name, *others):
            ranges[syms[s]], sources[s] = multiplier_range(loaded, s, kinds[syms[s]], base[syms[s]])
    regime = regime_point(kinds, base, ranges)
    ends = (base, regime)
    macs, made_m = resolve_minmax(sympy.sympify(a.totals["macs"]), ends)
    weights, made_w = resolve_minmax(sympy.sympify(a.totals["params_by_kind"]["weights"]), ends)
    params, made_p = resolve_minmax(sympy.sympify(a.totals["params"]), ends)
    resolved = sorted(set(made_m + made_w + made_p))
    numeric = analyze(loaded, variant=variant)
    steps, ok = [], True
    results: dict[str, Any] = {"symbol": name, "macs": macs, "weights": weights, "params": params}
    steps.append(Step(f"Symbolic analysis of {loaded.spec.name} in {', '.join(a.symbols)} "
                      "(ideal model: sizes H/stride, channels unrounded); total MACs",
                      sympy.Eq(sympy.Symbol("MACs"), macs)))
    for label, expr, key in (("MACs", macs, "macs"), ("weights", weights, "weights"), ("params (all kinds)", params, "params")):
        more, share, key_ok = degree_steps(label, expr, x, base, needs_quadratic=key == "macs")
        steps += more
        ok = ok and key_ok
        results[f"quadratic_share_{key}"] = str(share)
    rows, spot_ok = spot_checks(loaded, variant, kind, name, macs, weights, syms, base, numeric, ranges.get(x))
    ok = ok and spot_ok
    steps.append(Step("Numeric spot-checks: at the spec's own point the polynomial equals the numeric engine's "
                      "exact count" + (" ✓" if spot_ok else " ✗") + "; elsewhere it does wherever the ideal model "
                      "is exact (sizes divisible by every stride, channels integral)"))
    return Proof(
        claim=f"{loaded.spec.name}'s cost is an exact polynomial in the {kind} multiplier {name}, "
              f"dominated by its quadratic terms",
        steps=steps, holds=ok, results=results,
        tables=[Table(f"Spot-checks of the formula against archcalc's numeric analysis ({name})",
                      [name, "MACs (formula)", "MACs (numeric)", "weights (formula)", "weights (numeric)", "equal"], rows)],
        notes=["MACs of conv and linear layers (padded taps included); params by archcalc's kinds.",
               "Symbolic mode is the ideal model: where channels or sizes are rounded the exact count differs."]
              + [f"Range of {s}: {src}." for s, src in sources.items()]
              + (["max/min resolved for " + ", ".join(f"{s} between {min(regime[s], base[s])} and "
                                                      f"{max(regime[s], base[s])}" for s in base)
                  + ": " + "; ".join(resolved) + "; outside that range the polynomial differs"] if resolved else []),
        title=f"{kind.capitalize()} multiplier: {loaded.spec.name}",
    )


def degree_steps(label: str, expr, x, base: dict, needs_quadratic: bool) -> tuple[list[Step], Fraction, bool]:
    """``expr`` collected by powers of ``x``: the steps, the share of its x² terms at ``base``, and whether it holds.

    The collection is checked with sympy; with ``needs_quadratic`` (MACs) the claim also needs
    an x² term that is more than half of the total.
    """
    import sympy

    g = greek(x.name)
    parts = _poly_parts(expr, x)
    collected = sum(c * x**d for d, c in parts.items())
    ok = equal(collected, expr)
    deg = max(parts)
    share = _share(parts, x, 2, base)
    desc = ", ".join(f"{g}^{d} terms: {sympy.sstr((c * x**d).subs(base))}" for d, c in sorted(parts.items(), reverse=True))
    at = ", ".join(f"{s} = {v}" for s, v in base.items())
    lhs = sympy.Symbol(label.split()[0])
    if deg < 2:
        return ([Step(f"{label} collected by powers of {g}: degree {deg}, no quadratic term ({desc} at {at})",
                      sympy.Eq(lhs, collected))], share, ok and not needs_quadratic)
    steps = [Step(f"{label} collected by powers of {g} (sympy: simplify(collected − total) == 0)",
                  sympy.Eq(lhs, sympy.collect(sympy.expand(expr), x))),
             Step(f"The {g}² terms are {share} = {100 * float(share):.2f} % of the {label} at {at}"
                  f" (coefficients there — {desc})")]
    return steps, share, ok and (share > Fraction(1, 2) or not needs_quadratic)


def spot_checks(loaded, variant, kind, name, macs, weights, syms, base, numeric,
                values_range: list | None = None) -> tuple[list[list], bool]:
    """Formula vs numeric engine at the base point and the other values of the multiplier's range
    (:func:`multiplier_range`; the paper's α/ρ values when none is given and the base is 1)."""
    import sympy

    x = syms[name]
    values = [str(base[x])]
    if values_range is not None:
        values += [str(v) for v in values_range if str(v) != str(base[x])]
    elif base[x] == 1:
        values += list(POINTS[kind])
    rows, ok = [], True
    for v in values:
        at = dict(base)
        at[x] = sympy.Rational(v)
        f_macs, f_w = macs.subs(at), weights.subs(at)
        n = numeric if v == str(base[x]) else analyze(loaded, variant=variant, vars={name: v})
        same = f_macs == n.totals["macs"] and f_w == n.totals["params_by_kind"]["weights"]
        if v == str(base[x]):
            ok = ok and same
        rows.append([v, _count(f_macs), f"{n.totals['macs']:,}", _count(f_w),
                     f"{n.totals['params_by_kind']['weights']:,}",
                     "✓" if same else "differs: the spec rounds here (ideal model)"])
    return rows, ok


def _count(v) -> str:
    return f"{int(v):,}" if v.is_Integer else f"{float(v):,.1f}"
