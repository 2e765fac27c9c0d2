"""The depthwise separable convolution derivation (Howard et al. 2017, §3.1).

Input ``D_f × D_f × M``, output ``D_f × D_f × N``, kernel ``k``, "same" padding.
Every cost below comes from archcalc's own ``conv2d`` formulas
(:class:`archcalc.ops.conv.Conv2d`) evaluated on sympy shapes; the ratio

    (depthwise + pointwise) / standard = 1/N + 1/k²

is then checked with sympy, for MACs and for weights, and spot-checked
against the numeric engine on a real layer (MobileNet's 14×14×512 layer, the
paper's Table 3, by default).

>>> import sympy
>>> p = prove_dsc()
>>> N, k = sympy.symbols("N k", positive=True)
>>> p.holds, p.results["ratio"] == 1 / N + 1 / k**2
(True, True)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from archcalc.api import analyze
from archcalc.errors import GraphError
from archcalc.ops.conv import Conv2d
from archcalc.proofs.proof import Proof, Step, Table, equal

DEFAULT_SPEC = "mobilenet"
DEFAULT_LAYER = "block6.sep"  # 14x14x512 -> 512, the paper's Table 3 layer


def conv_cost(cin, cout, k, size, groups=1, stride=1, padding: Any = "same") -> tuple[Any, Any]:
    """(weights, MACs) of one conv2d on a ``cin × size × size`` input, by archcalc's op formulas.

    >>> conv_cost(512, 512, 3, 14)
    (2359296, 462422016)
    """
    from archcalc.ops.base import Ctx
    from archcalc.spec.expr import is_symbolic

    op = Conv2d.model_construct(op="conv2d", out_channels=cout, kernel_size=k, stride=stride,
                                padding=padding, dilation=1, groups=groups, bias=False)
    ins = [(cin, size, size)]
    ideal = any(is_symbolic(v) for v in (cin, cout, k, size, groups))
    out = op.output_shape(ins, Ctx(ideal=ideal))
    return op.params(ins)["weights"], op.macs(ins, out)


def symbols():
    """The symbols of the derivation: M, N, k, D_f (positive)."""
    import sympy

    return sympy.symbols("M N k D_f", positive=True)


def dsc_steps() -> tuple[list[Step], dict[str, Any], bool]:
    """The symbolic derivation: costs, sum, division, simplification, with sympy checks."""
    import sympy

    M, N, k, D = symbols()
    std_w, std_c = conv_cost(M, N, k, D)
    dw_w, dw_c = conv_cost(M, M, k, D, groups=M)
    pw_w, pw_c = conv_cost(M, N, 1, D)
    S = sympy.Symbol
    dsc_c = sympy.factor(dw_c + pw_c)
    ratio = 1 / N + 1 / k**2
    cost_ratio = (dw_c + pw_c) / std_c  # an Add over a Mul: sympy keeps it unsimplified
    param_ratio = (dw_w + pw_w) / std_w
    checks = [equal(cost_ratio, ratio), equal(param_ratio, ratio),
              equal(std_c, k**2 * M * N * D**2), equal(dw_c, k**2 * M * D**2), equal(pw_c, M * N * D**2)]
    steps = [
        Step("Standard k×k conv, M → N channels at D_f × D_f: weights (archcalc's conv2d formula)",
             sympy.Eq(S("P_std"), std_w)),
        Step("Standard conv cost in multiply-adds", sympy.Eq(S("C_std"), std_c)),
        Step("Depthwise k×k conv (groups = M, one k×k filter per input channel): weights",
             sympy.Eq(S("P_dw"), dw_w)),
        Step("Depthwise cost", sympy.Eq(S("C_dw"), dw_c)),
        Step("Pointwise 1×1 conv, M → N: weights", sympy.Eq(S("P_pw"), pw_w)),
        Step("Pointwise cost", sympy.Eq(S("C_pw"), pw_c)),
        Step("Sum: the depthwise separable cost", (S("C_dsc"), dw_c + pw_c, dsc_c)),
        Step("Divide by the standard cost", (S("C_dsc") / S("C_std"), cost_ratio)),
        Step("Simplify (M and D_f cancel); sympy: simplify(lhs − rhs) == 0",
             (S("C_dsc") / S("C_std"), sympy.cancel(cost_ratio), ratio)),
        Step("The same for the weights: (k²·M + M·N) / (k²·M·N), D_f does not appear",
             (S("P_dsc") / S("P_std"), param_ratio, ratio)),
    ]
    return steps, {"ratio": ratio, "params_ratio": ratio}, all(checks)


#: largest --k / --n accepted (the ratio is exact at any size; this keeps the printed numbers readable)
MAX_TYPICAL = 10**9


def check_typical(k: int, n: int) -> None:
    """A SpecError unless the kernel size ``k`` and channel count ``n`` are integers in [1, 10**9]."""
    from archcalc.errors import SettingError

    for name, value in (("k", k), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TYPICAL:
            raise SettingError(name, f"must be an integer from 1 to {MAX_TYPICAL}, got {value}",
                               form="{setting} {detail}")


def typical(k: int = 3, n: int = 512) -> Fraction:
    """The ratio 1/N + 1/k² at a point, exactly.

    >>> float(typical(3, 512))
    0.1130642361111111
    """
    return Fraction(1, n) + Fraction(1, k * k)


def find_separable(a, name: str):
    """The depthwise conv at or under ``name`` and the 1×1 conv that follows it (LayerCosts + Layers)."""
    layers = a.network.layers
    for i, lay in enumerate(layers):
        if not (lay.name == name or lay.name.startswith(name + ".")) or not _is_depthwise(lay):
            continue
        cin, h, w = lay.out_shape
        for j in range(i + 1, len(layers)):
            nxt = layers[j]
            if nxt.op.layer_kind(nxt.in_shapes) == "pointwise" and tuple(nxt.in_shapes[0]) == (cin, h, w):
                return (lay, a.layers[i]), (nxt, a.layers[j])
        break
    convs = [lay.name for lay in layers if _is_depthwise(lay)]
    raise GraphError(f"no depthwise conv followed by a 1x1 conv at or under layer '{name}'; "
                     f"depthwise convs in this network: {name_list(convs)}")


def name_list(names: list[str], shown: int = 8) -> str:
    """The first ``shown`` names, then how many more there are.

    >>> name_list(["a", "b", "c"], shown=2)
    'a, b, … and 1 more (3 in all)'
    >>> name_list([])
    'none'
    """
    if not names:
        return "none"
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f", … and {more} more ({len(names)} in all)" if more > 0 else "")


def _is_depthwise(lay) -> bool:
    """A depthwise conv (the op's declared kind) with as many output as input channels."""
    return lay.op.layer_kind(lay.in_shapes) == "depthwise" and lay.out_shape[0] == lay.in_shapes[0][0]


def layer_check(spec: str = DEFAULT_SPEC, layer: str = DEFAULT_LAYER, **point) -> tuple[Table, bool, dict]:
    """Compare the formula with archcalc's per-layer costs of a real layer and a standard-conv replacement."""
    from archcalc.report.tables import human

    a = analyze(spec, **point)
    (dw, dw_cost), (pw, pw_cost) = find_separable(a, layer)
    m, hin, win = dw.in_shapes[0]
    n, d, d2 = pw.out_shape
    k = dw.op.kernel_size if isinstance(dw.op.kernel_size, int) else dw.op.kernel_size[0]
    std_w, std_c = conv_cost(m, n, k, hin, stride=dw.op.stride, padding=dw.op.padding)
    dsc_w = dw_cost.params_by_kind.get("weights", 0) + pw_cost.params_by_kind.get("weights", 0)
    dsc_c = dw_cost.macs + pw_cost.macs
    formula = typical(k, n)
    ok = d == d2 and Fraction(dsc_c, std_c) == formula and Fraction(dsc_w, std_w) == formula
    rows = [
        ["standard conv (replacement)", human(std_w), f"{std_w:,}", human(std_c), f"{std_c:,}"],
        [f"depthwise ({dw.name})", human(dw_cost.params_by_kind.get('weights', 0)),
         f"{dw_cost.params_by_kind.get('weights', 0):,}", human(dw_cost.macs), f"{dw_cost.macs:,}"],
        [f"pointwise ({pw.name})", human(pw_cost.params_by_kind.get('weights', 0)),
         f"{pw_cost.params_by_kind.get('weights', 0):,}", human(pw_cost.macs), f"{pw_cost.macs:,}"],
        ["DSC / standard (archcalc)", "", f"{float(Fraction(dsc_w, std_w)):.6f}", "",
         f"{float(Fraction(dsc_c, std_c)):.6f}"],
        [f"1/N + 1/k² (N={n}, k={k})", "", f"{float(formula):.6f}", "", f"{float(formula):.6f}"],
    ]
    title = (f"{a.network.name}, layer {layer}: M={m}, N={n}, k={k}, D_f={d} "
             f"(input {m}×{hin}×{win}, stride {dw.op.stride}); weights and MACs")
    values = {"M": m, "N": n, "k": k, "D_f": d, "stride": dw.op.stride, "dsc_macs": dsc_c, "standard_macs": std_c,
              "dsc_weights": dsc_w, "standard_weights": std_w}
    return Table(title, ["", "weights", "exact", "MACs", "exact"], rows), ok, values


def training_steps() -> tuple[list[Step], bool]:
    """The ratio for a training step (forward + backward), from archcalc's backward rule."""
    import sympy

    from archcalc.training import backward_macs

    M, N, k, D = symbols()
    _, std_c = conv_cost(M, N, k, D)
    _, dw_c = conv_cost(M, M, k, D, groups=M)
    _, pw_c = conv_cost(M, N, 1, D)
    S = sympy.Symbol
    std_t = std_c + backward_macs(std_c)
    dsc_t = dw_c + backward_macs(dw_c) + pw_c + backward_macs(pw_c)
    ratio = dsc_t / std_t
    ok = equal(ratio, 1 / N + 1 / k**2) and equal(std_t, 3 * std_c)
    return [
        Step("Training (forward + backward, archcalc.training): a conv's backward pass is its weight gradient "
             "and its input gradient, each one forward pass of multiply-adds (groups respected)",
             sympy.Eq(S("C_std_train"), std_t)),
        Step("The same for the depthwise and pointwise convs", sympy.Eq(S("C_dsc_train"), sympy.factor(dsc_t))),
        Step("Training ratio: the factor 3 cancels, the forward ratio holds for the training step",
             (S("C_dsc_train") / S("C_std_train"), sympy.cancel(ratio), 1 / N + 1 / k**2)),
    ], ok


def prove_dsc(spec: str | None = None, layer: str | None = None, k: int = 3, n: int = 512,
              training: bool = False) -> Proof:
    """The DSC derivation, its typical value, and a check on a real layer of a spec."""
    check_typical(k, n)
    steps, results, ok = dsc_steps()
    if training:
        more, train_ok = training_steps()
        steps += more
        ok = ok and train_ok
        results["training_ratio"] = results["ratio"]
    r = typical(k, n)
    steps.append(Step(f"Typical values k = {k}, N = {n}: 1/{n} + 1/{k * k} = {r} ≈ {float(r):.4f}, "
                      f"i.e. {1 / float(r):.2f}× less computation (a {100 * (1 - float(r)):.1f} % reduction)",
                      (results["ratio"], r, sympy_float(r))))
    table, layer_ok, values = layer_check(spec or DEFAULT_SPEC, layer or DEFAULT_LAYER)
    steps.append(Step(f"Numeric check on a real layer: archcalc's per-layer costs give exactly "
                      f"1/{values['N']} + 1/{values['k']}² = {typical(values['k'], values['N'])}"
                      + (" ✓" if layer_ok else " ✗ (mismatch)")))
    results.update({"typical": {"k": k, "N": n, "ratio": str(r), "value": float(r), "times_less": 1 / float(r)},
                    "layer": values})
    return Proof(
        claim="A k×k depthwise separable convolution costs 1/N + 1/k² of a standard convolution, "
              "in multiply-adds and in parameters",
        steps=steps, holds=ok and layer_ok, results=results, tables=[table],
        notes=[size_note(values["stride"]) + "; MACs count padded taps, as the paper does.",
               "Weights only: biases and batch-norm parameters are not part of the formula."],
        title="Depthwise separable convolution vs standard convolution",
    )


def size_note(stride) -> str:
    """What D_f means for the checked layer: with stride s the standard-conv replacement has stride s too."""
    if stride in (1, (1, 1), [1, 1]):
        return "D_f is the output size (stride 1 and 'same' padding make it the input size too)"
    return (f"D_f is the output size: this layer has stride {stride}, so its input is larger and the "
            f"standard-conv replacement is costed with the same stride")


def sympy_float(r: Fraction):
    """A Fraction as a sympy Float with 4 digits (for display)."""
    import sympy

    return sympy.Float(float(r), 4)
