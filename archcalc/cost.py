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
from fractions import Fraction
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


_UNSET = object()


class _Pending:
    """A layer value computed on first use; the layers sharing one costs tuple share it."""

    __slots__ = ("fn", "args", "value")

    def __init__(self, fn, *args):
        self.fn, self.args, self.value = fn, args, _UNSET

    def get(self):
        if self.value is _UNSET:
            self.value = self.fn(*self.args)
            self.fn = self.args = None
        return self.value


def _lazy_field(name: str) -> property:
    slot = LayerCost.__dict__[name]  # the dataclass's slot

    def get(self):
        v = slot.__get__(self)
        if type(v) is _Pending:
            v = v.get()
            slot.__set__(self, v)
        return v

    return property(get, slot.__set__, doc=f"``{name}``, computed on first use")


class _IdealLayerCost(LayerCost):
    """A :class:`LayerCost` of a symbolic network whose ``flops`` (the sum of its kinds) and
    ``reads`` are sympy sums built when first read: totals and the summary use neither
    (totals add the kinds), and those ``Add``s were a third of a symbolic DenseNet's layer
    costs. Same values as built eagerly."""

    __slots__ = ()
    flops = _lazy_field("flops")
    reads = _lazy_field("reads")


def _sum(values, symbolic: bool):
    """The sum; symbolic values are expanded (``sympy.expand``) and added: the same
    expression as ``expand(Add(*values))``, built from each distinct value's monomials
    (:func:`_terms`, once per value) added up as coefficients per monomial, then one ``Add``
    of the few distinct monomials (not an ``Add`` flattening hundreds of terms per total)."""
    if symbolic:
        return _from_terms(_add_terms(values))
    return sum(values)


def _add_terms(values) -> dict:
    """{monomial: coefficient} of ``sum(values)``, expanded (see :func:`_terms`)."""
    return _merge_terms(map(_terms, values))


def _merge_terms(dicts) -> dict:
    """{monomial: coefficient} of the sum of several :func:`_add_terms` dicts."""
    acc: dict = {}
    get = acc.get
    for d in dicts:
        for m, c in d.items():
            acc[m] = get(m, 0) + c
    return acc


@lru_cache(maxsize=8192)
def _terms(v) -> dict:
    """``sympy.expand(v)`` as {monomial: coefficient}: the monomial a sympy expression
    without numeric factor (``S.One`` for the constant term), the coefficient a Python int or
    Fraction (a sympy Float, rarely). A polynomial in symbols with integer powers (almost every layer formula: a
    monomial times sums of monomials, ``1568*k*b*(8*c*k + 7*k)``) is multiplied out here on
    exponent tuples, with no sympy arithmetic; anything else (``Max``, a rational function, a
    non-integer power) goes to ``sympy.expand`` and is split into its terms. Read-only."""
    import sympy

    if not isinstance(v, sympy.Basic):
        return {sympy.S.One: v} if v != 0 else {}
    poly = _poly(v)
    out: dict = {}
    if poly is not None:
        for m, c in poly.items():  # (two tuples may name one monomial: x * x**y, x**(y + 1))
            k = _monomial(m)
            out[k] = out.get(k, 0) + c
        return {m: c for m, c in out.items() if c != 0}
    for t in sympy.Add.make_args(sympy.expand(v)):
        c, m = t.as_coeff_Mul()  # as Add.flatten splits a term; m is S.One for a number
        if c.is_Rational:
            c = int(c.p) if c.q == 1 else Fraction(int(c.p), int(c.q))
        out[m] = out.get(m, 0) + c  # a Float stays a sympy Float, added in Add's order
    return out


@lru_cache(maxsize=8192)
def _poly(e):
    """``e`` multiplied out as {((base, exponent), ...) sorted: coefficient}, or ``None``
    when ``e`` is not built from rationals and bases by ``+``, ``*`` and integer powers
    (negative ones only of bases). A base is a symbol, or a function application or a
    non-integer power that ``sympy.expand`` leaves as it is (EfficientNet's SE width
    ``Max(1, 4*width_mult)``, its resolution ``gamma**phi``): ``expand`` then only
    distributes products over sums, as here. Cached: layer formulas share their channel
    counts (``init + 5*growth``); the dicts are read-only."""
    if e.is_Rational:
        return {(): int(e.p) if e.q == 1 else Fraction(int(e.p), int(e.q))}
    if e.is_Symbol:
        return {((e, 1),): 1}
    if e.is_Add:
        acc: dict = {}
        for a in e.args:
            t = _poly(a)
            if t is None:
                return None
            for m, c in t.items():
                acc[m] = acc.get(m, 0) + c
        return acc
    if e.is_Pow:
        if not e.exp.is_Integer:  # gamma**phi (EfficientNet's resolution)
            return {((e, 1),): 1} if _is_atom(e) else None
        n = int(e.exp)
        if e.base.is_Symbol or (e.base.is_Function and _is_atom(e.base)):
            return {((e.base, n),): 1} if n else {(): 1}
        if n <= 0:
            return None
        factors = (e.base,) * n
    elif e.is_Mul:
        factors = e.args
    elif e.is_Function and _is_atom(e):
        return {((e, 1),): 1}
    else:
        return None
    acc = {(): 1}
    for f in factors:
        t = _poly(f)
        if t is None:
            return None
        nxt: dict = {}
        for m1, c1 in acc.items():
            for m2, c2 in t.items():
                m = _times(m1, m2)
                nxt[m] = nxt.get(m, 0) + c1 * c2
        acc = nxt
    return acc


def _times(m1: tuple, m2: tuple) -> tuple:
    """The product of two monomials ((base, exponent), ...), sorted by base (name, hash)."""
    if not m1:
        return m2
    if not m2:
        return m1
    exps = dict(m1)
    for s, n in m2:
        exps[s] = exps.get(s, 0) + n
    return tuple(sorted(((s, n) for s, n in exps.items() if n), key=_symbol_key))


def _symbol_key(item):
    return getattr(item[0], "name", ""), hash(item[0])


@lru_cache(maxsize=1024)
def _is_atom(f) -> bool:
    """``sympy.expand`` leaves ``f`` (a function application or a power) unchanged, so it
    can stand in a product like a symbol."""
    import sympy

    return sympy.expand(f) == f


@lru_cache(maxsize=4096)
def _monomial(m: tuple):
    """The sympy monomial of ((symbol, exponent), ...)."""
    import sympy

    return sympy.Mul(*(s if n == 1 else sympy.Pow(s, n) for s, n in m))


def _from_terms(terms: dict):
    """The sympy sum of {monomial: coefficient}: what ``Add`` builds from those terms."""
    import sympy

    out = []
    for m, c in terms.items():
        if c == 0:
            continue
        if isinstance(c, int):
            num = sympy.Integer(c)
        elif isinstance(c, Fraction):
            num = sympy.Rational(c.numerator, c.denominator)
        else:  # a sympy Float
            num = c
        if m is sympy.S.One:
            out.append(num)
        elif num is sympy.S.One:
            out.append(m)
        elif m.is_Mul:
            out.append(m._new_rawargs(num, *m.args))
        else:
            out.append(sympy.Mul(num, m))
    return sympy.Add(*out)


def layer_costs(net: Network, batch=1) -> list[LayerCost]:
    """One :class:`LayerCost` per layer, in document order."""
    out = []
    memo: dict[tuple, tuple] = {}  #: (id(op), input shapes) -> the costs (ops are shared, graph.Layer)
    costs, record = (_op_costs, LayerCost) if not net.ideal else (_IdealCosts().op_costs, _IdealLayerCost)
    for lay in net.layers:
        op, ins, shp = lay.op, lay.in_shapes, lay.out_shape
        key = (id(op), tuple(ins))
        c = memo.get(key)
        if c is None:
            c = memo[key] = costs(op, ins, shp, batch)
        params, pk, buffers, macs, flops, fk, acts, reads = c
        out.append(record(lay.name, op.op, shp, params, pk, buffers, macs, flops, fk, acts, reads,
                          acts, type(op).conv_linear, lay.blocks))
    return out


def _kinds(op, ins: list, shp: tuple, batch) -> tuple:
    """(params_by_kind, MACs per sample, flops_by_kind for the batch) of one layer, zero kinds
    left out; ``batch`` None: counts of one sample, not multiplied (``Mul(v, 1)`` is ``v``)."""
    pk = {k: v for k, v in op.params(ins).items() if not _is_zero(v)}
    macs = op.macs(ins, shp)
    fk = {"mul_add": ARCHCALC.flops_per_mac * macs} if not _is_zero(macs) else {}
    for kind, v in op.flops(ins, shp).items():
        if kind not in FLOP_KINDS:
            raise ValueError(f"{type(op).__name__}.flops returned unknown kind {kind!r}")
        if not _is_zero(v):
            fk[kind] = v if batch is None else v * batch
    if "mul_add" in fk and batch is not None:
        fk["mul_add"] = fk["mul_add"] * batch
    return pk, macs, fk


def _op_costs(op, ins: list, shp: tuple, batch) -> tuple:
    """(params, params_by_kind, buffers, macs, flops, flops_by_kind, activations, reads) of one
    layer; activations are the writes."""
    pk, macs, fk = _kinds(op, ins, shp, batch)
    acts = numel(shp)
    params = sum(pk.values())
    reads = sum(numel(s) for s in ins) * batch + params
    return (params, pk, op.buffers(ins), macs * batch, sum(fk.values()), fk, acts * batch, reads)


class _IdealCosts:
    """:func:`_op_costs` of a symbolic network, the same values with less sympy arithmetic:
    a shape's element count is computed once (a layer's input is its producer's output: the
    same product of symbolic sizes was built for both), ``* batch`` is skipped at batch 1
    (``Mul(v, 1)`` is ``v`` itself), and a layer's flops and reads are built when first read
    (:class:`_IdealLayerCost`)."""

    def __init__(self):
        self.sizes: dict[tuple, Any] = {}

    def numel(self, shape: tuple):
        key = (shape, tuple(map(type, shape)))  # 56 and Integer(56) are equal, not the same count
        n = self.sizes.get(key)
        if n is None:
            rest = shape[1:]
            if rest and all(type(d) is int for d in rest):
                # C x H x W with int sizes: C * (H*W), one pass of the number over C's terms
                # where numel's (C*H)*W made two; the same Add (_keep_coeff folds both
                # numbers into each term's coefficient alike)
                p = 1
                for d in rest:
                    p *= d
                n = shape[0] * p
            else:
                n = numel(shape)
            self.sizes[key] = n
        return n

    def op_costs(self, op, ins: list, shp: tuple, batch) -> tuple:
        one = batch == 1 and type(batch) is int
        pk, macs, fk = _kinds(op, ins, shp, None if one else batch)
        acts = self.numel(shp)
        params = sum(pk.values())
        reads = _Pending(self.reads, ins, batch, one, params)
        if not one:
            macs, acts = macs * batch, acts * batch
        return (params, pk, op.buffers(ins), macs, _Pending(_add_values, fk), fk, acts, reads)

    def reads(self, ins: list, batch, one: bool, params):
        read = sum(self.numel(s) for s in ins)
        return (read if one else read * batch) + params


def _add_values(d: dict):
    return sum(d.values())


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
    # Symbolic sums are built once per kind, as {monomial: coefficient} (_add_terms), and
    # turned into sympy once: the flops total is the sum of the kind totals (layer_costs makes
    # mul_add = flops_per_mac * macs per layer and checks every other kind), params that of
    # the param kinds when no op returns another kind.
    pk = {k: _add_terms(c.params_by_kind.get(k, 0) for c in costs) for k in PARAM_KINDS}
    macs_t = _add_terms(c.macs for c in costs)
    fk = {"mul_add": {m: ARCHCALC.flops_per_mac * x for m, x in macs_t.items()}}
    fk |= {k: _add_terms(c.flops_by_kind.get(k, 0) for c in costs) for k in FLOP_KINDS}
    if all(k in pk for c in costs for k in c.params_by_kind):
        params = _from_terms(_merge_terms(pk.values()))
    else:
        params = _sum((c.params for c in costs), sym)
    params_by_kind = {k: _from_terms(d) for k, d in pk.items()}
    flops_by_kind = {k: _from_terms(d) for k, d in fk.items()}
    macs = _from_terms(macs_t)
    flops = _from_terms(_merge_terms(fk.values()))
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
    fpm = ARCHCALC.flops_per_mac
    for op, cs in groups.items():
        # The same sums as totals() (per-kind values, flops = flops_per_mac * macs + the
        # other kinds), over this op's layers.
        macs = _add_terms(c.macs for c in cs)
        params = _add_terms(v for c in cs for v in c.params_by_kind.values())
        flops = _merge_terms([{m: fpm * x for m, x in macs.items()},
                              _add_terms(v for c in cs for k, v in c.flops_by_kind.items() if k != "mul_add")])
        out[op] = {"count": len(cs), "params": _from_terms(params), "macs": _from_terms(macs),
                   "flops": _from_terms(flops), "activations": _sum((c.activations for c in cs), symbolic)}
    return out
