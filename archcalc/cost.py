"""Walk the layer graph and collect one cost record per layer, then totals.

Conventions (DESIGN.md; per-op rules in docs/conventions.md):

* ``macs`` — multiply-accumulates of conv2d and linear, zero-padded taps included;
* ``flops`` — ``2 * macs`` (kind ``mul_add``) plus every other floating-point
  operation by kind (``add``, ``mul``, ``div``, ``compare``, ``exp``);
* ``params`` — learnable parameters by kind; BN running statistics are ``buffers``;
* ``activations`` — output elements of every layer; ``activations_conv_linear``
  those of conv2d/linear only (timm's "macts");
* peak live activation memory by the liveness rule (archcalc.memory).

Counts are per batch of ``batch`` samples (params are not); shapes per sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from archcalc.conventions import ARCHCALC
from archcalc.graph import Network
from archcalc.memory import DTYPE_BYTES, peak_elements
from archcalc.ops import FLOP_KINDS, PARAM_KINDS, numel

#: The counting conventions, worded once (archcalc.conventions.ARCHCALC.words); every table,
#: figure and report states them through ``ARCHCALC.describe``.
MACS_DEF = ARCHCALC.words["macs"]
FLOPS_DEF = ARCHCALC.words["flops"]
PARAMS_DEF = ARCHCALC.words["params"]
CONVENTIONS = "; ".join((MACS_DEF, FLOPS_DEF, PARAMS_DEF))


@dataclass(slots=True)
class LayerCost:
    """Costs of one layer (per batch) and its per-sample output shape.

    Layers with the same resolved op at the same input shapes share their ``params_by_kind``
    and ``flops_by_kind`` dicts (read-only)."""

    name: str
    op: str
    output: tuple
    params: Any
    params_by_kind: dict[str, Any]
    buffers: Any
    macs: Any
    flops: Any
    flops_by_kind: dict[str, Any]
    activations: Any
    reads: Any
    writes: Any
    conv_linear: bool
    blocks: tuple[str, ...] = ()


def _sum(values, symbolic: bool):
    """The sum; symbolic values are expanded once each (a network repeats few distinct layer
    formulas) and then added: an ``Add`` of expanded terms is expanded, the same expression
    as ``expand(Add(*values))`` without re-expanding hundreds of terms per total and kind."""
    values = list(values)
    if symbolic:
        import sympy

        return sympy.Add(*(_expanded(v) for v in values))
    return sum(values)


@lru_cache(maxsize=8192)
def _expanded(v):
    """``sympy.expand(v)``. A polynomial in symbols with integer powers (almost every layer
    formula: a monomial times sums of monomials, ``1568*k*b*(8*c*k + 7*k)``) is distributed
    directly into an ``Add`` of ``Mul``s — the same canonical expression as ``expand``
    builds, ~5x faster than its generic hint machinery; anything else (``Max``, a rational
    function, a non-integer power) goes to ``sympy.expand``."""
    import sympy

    if isinstance(v, sympy.Basic):
        terms = _poly_terms(v)
        if terms is not None:
            return sympy.Add(*terms)
    return sympy.expand(v)


def _is_monomial(e) -> bool:
    """A number, a symbol, a symbol to an integer power, or a product of those."""
    if e.is_Number or e.is_Symbol:
        return True
    if e.is_Pow:
        return e.base.is_Symbol and e.exp.is_Integer
    if e.is_Mul:
        return all(a.is_Number or a.is_Symbol or (a.is_Pow and a.base.is_Symbol and a.exp.is_Integer)
                   for a in e.args)
    return False


def _poly_terms(e):
    """The monomials of ``e`` multiplied out (like terms not yet combined), or ``None`` when
    ``e`` is not built from monomials by ``+``, ``*`` and positive integer powers."""
    import sympy

    if _is_monomial(e):
        return [e]
    if e.is_Add:
        out = []
        for a in e.args:
            t = _poly_terms(a)
            if t is None:
                return None
            out.extend(t)
        return out
    if e.is_Mul or (e.is_Pow and e.exp.is_Integer and e.exp > 0):
        factors = e.args if e.is_Mul else (e.base,) * int(e.exp)
        acc = [sympy.Integer(1)]
        for f in factors:
            t = _poly_terms(f)
            if t is None:
                return None
            acc = [sympy.Mul(x, y) for x in acc for y in t]
        return acc
    return None


def layer_costs(net: Network, batch=1) -> list[LayerCost]:
    """One :class:`LayerCost` per layer, in document order."""
    out = []
    memo: dict[tuple, tuple] = {}  #: (id(op), input shapes) -> the costs (ops are shared, graph.Layer)
    for lay in net.layers:
        op, ins, shp = lay.op, lay.in_shapes, lay.out_shape
        key = (id(op), tuple(ins))
        c = memo.get(key)
        if c is None:
            c = memo[key] = _op_costs(op, ins, shp, batch)
        params, pk, buffers, macs, flops, fk, acts, reads = c
        out.append(LayerCost(lay.name, op.op, shp, params, pk, buffers, macs, flops, fk, acts, reads,
                             acts, type(op).conv_linear, lay.blocks))
    return out


def _op_costs(op, ins: list, shp: tuple, batch) -> tuple:
    """(params, params_by_kind, buffers, macs, flops, flops_by_kind, activations, reads) of one
    layer; activations are the writes."""
    pk = {k: v for k, v in op.params(ins).items() if not _is_zero(v)}
    macs = op.macs(ins, shp)
    fk = {"mul_add": ARCHCALC.flops_per_mac * macs} if not _is_zero(macs) else {}
    for kind, v in op.flops(ins, shp).items():
        if kind not in FLOP_KINDS:
            raise ValueError(f"{type(op).__name__}.flops returned unknown kind {kind!r}")
        if not _is_zero(v):
            fk[kind] = v * batch
    if "mul_add" in fk:
        fk["mul_add"] = fk["mul_add"] * batch
    acts = numel(shp)
    params = sum(pk.values())
    reads = sum(numel(s) for s in ins) * batch + params
    return (params, pk, op.buffers(ins), macs * batch, sum(fk.values()), fk, acts * batch, reads)


def _is_zero(v) -> bool:
    """A count that is exactly 0. Plain ``==``: sympy folds ``0 * x`` and ``x - x`` to ``0``
    itself, and an assumption query (``Mul.is_zero``) per layer and kind was ~8 % of a
    symbolic analysis."""
    return v == 0


def totals(net: Network, costs: list[LayerCost], batch=1, dtype="fp32") -> dict[str, Any]:
    """Network totals in the JSON contract's keys."""
    sym = net.ideal
    if not sym:
        return _numeric_totals(net, costs, batch, dtype)
    params_by_kind = {k: _sum((c.params_by_kind.get(k, 0) for c in costs), sym) for k in PARAM_KINDS}
    macs = _sum((c.macs for c in costs), sym)
    flops_by_kind = {k: _sum((c.flops_by_kind.get(k, 0) for c in costs), sym) for k in FLOP_KINDS}
    if sym:
        # Symbolic sums are built once per kind: the flops total is the sum of the kind totals
        # (layer_costs makes mul_add = flops_per_mac * macs per layer and checks every other
        # kind), params that of the param kinds when no op returns another kind.
        flops_by_kind = {"mul_add": _sum([ARCHCALC.flops_per_mac * macs], sym)} | flops_by_kind
        flops = _sum(flops_by_kind.values(), sym)
        if all(k in params_by_kind for c in costs for k in c.params_by_kind):
            params = _sum(params_by_kind.values(), sym)
        else:
            params = _sum((c.params for c in costs), sym)
    else:
        flops_by_kind = {"mul_add": sum(c.flops_by_kind.get("mul_add", 0) for c in costs)} | flops_by_kind
        flops = sum(c.flops for c in costs)
        params = sum(c.params for c in costs)
    t: dict[str, Any] = {
        "params": params,
        "macs": macs,
        "flops": flops,
        "params_by_kind": params_by_kind,
        "flops_by_kind": flops_by_kind,
        "buffers": _sum((c.buffers for c in costs), sym),
        "activations": _sum((c.activations for c in costs), sym),
        "activations_conv_linear": _sum((c.activations for c in costs if c.conv_linear), sym),
        "input_elements": numel(net.input_shape) * batch,
    }
    return _with_bytes(t, net, costs, dtype, peak=not sym)


def _numeric_totals(net: Network, costs: list[LayerCost], batch, dtype) -> dict[str, Any]:
    """:func:`totals` of exact counts in one pass over the layers (the same sums, keys and key
    order as the symbolic path; a pass per total and kind was a fifth of a large net's time)."""
    pk = dict.fromkeys(PARAM_KINDS, 0)
    fk = dict.fromkeys(("mul_add",) + FLOP_KINDS, 0)
    params = macs = flops = buffers = acts = acts_cl = 0
    for c in costs:
        params += c.params
        macs += c.macs
        flops += c.flops
        buffers += c.buffers
        acts += c.activations
        if c.conv_linear:
            acts_cl += c.activations
        for k, v in c.params_by_kind.items():
            if k in pk:
                pk[k] += v
        for k, v in c.flops_by_kind.items():
            if k in fk:
                fk[k] += v
    t: dict[str, Any] = {
        "params": params,
        "macs": macs,
        "flops": flops,
        "params_by_kind": pk,
        "flops_by_kind": fk,
        "buffers": buffers,
        "activations": acts,
        "activations_conv_linear": acts_cl,
        "input_elements": numel(net.input_shape) * batch,
    }
    return _with_bytes(t, net, costs, dtype, peak=True)


def _with_bytes(t: dict[str, Any], net: Network, costs: list[LayerCost], dtype, peak: bool) -> dict[str, Any]:
    """``t`` with its byte figures and (numeric only: the liveness walk needs sizes) the peak."""
    nbytes = DTYPE_BYTES[dtype]
    t["param_bytes"] = t["params"] * nbytes
    t["activation_bytes"] = t["activations"] * nbytes
    if not peak:
        t["peak_activation_elements"] = t["peak_activation_bytes"] = t["peak_at"] = None
        return t
    steps = [(lay.name, c.activations, lay.inputs) for lay, c in zip(net.layers, costs)]
    elements, where = peak_elements(steps, t["input_elements"])
    t["peak_activation_elements"] = elements
    t["peak_activation_bytes"] = elements * nbytes
    t["peak_at"] = where
    return t


def by_op(costs: list[LayerCost], symbolic: bool = False) -> dict[str, dict[str, Any]]:
    """Totals per op name: count, params, macs, flops, activations."""
    if not symbolic:
        out: dict[str, dict[str, Any]] = {}
        for c in costs:
            r = out.get(c.op)
            if r is None:
                r = out[c.op] = {"count": 0, "params": 0, "macs": 0, "flops": 0, "activations": 0}
            r["count"] += 1
            r["params"] += c.params
            r["macs"] += c.macs
            r["flops"] += c.flops
            r["activations"] += c.activations
        return out
    groups: dict[str, list[LayerCost]] = {}
    for c in costs:
        groups.setdefault(c.op, []).append(c)
    out = {}
    for op, cs in groups.items():
        macs = _sum((c.macs for c in cs), symbolic)
        if symbolic:
            # From the per-kind values totals() has already expanded (the same sums).
            params = _sum((v for c in cs for v in c.params_by_kind.values()), symbolic)
            flops = _sum([ARCHCALC.flops_per_mac * macs] + [
                v for c in cs for k, v in c.flops_by_kind.items() if k != "mul_add"], symbolic)
        else:
            params = _sum((c.params for c in cs), symbolic)
            flops = _sum((c.flops for c in cs), symbolic)
        out[op] = {"count": len(cs), "params": params, "macs": macs, "flops": flops,
                   "activations": _sum((c.activations for c in cs), symbolic)}
    return out
