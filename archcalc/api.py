"""The Python API: ``load`` a spec, ``analyze`` it at a point (or symbolically).

>>> a = analyze("mobilenet", vars={"alpha": "0.75"})
>>> a.totals["macs"]
325400448
>>> a.totals["params_by_kind"]["weights"]
2568144
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

from archcalc.conventions import ARCHCALC
from archcalc.cost import LayerCost, by_op, layer_costs, totals
from archcalc.errors import ArchcalcError, GraphError, SettingError, ShapeError, SpecError, StructuralSymbolError
from archcalc.graph import Network, build
from archcalc.memory import DTYPE_BYTES
from archcalc.ops import Ctx
from archcalc.reference import Check, matching, of_source
from archcalc.report.formats import dumps
from archcalc.spec.expr import parse_value
from archcalc.point import Point, evaluate_vars, free_vars, input_shape, resolve  # noqa: F401 (re-exported)
from archcalc.spec.loader import LoadedSpec
from archcalc.spec.loader import load as _load


def load(spec: str | Path | LoadedSpec) -> LoadedSpec:
    """Load a spec by path or bundled name (a ``LoadedSpec`` passes through)."""
    return spec if isinstance(spec, LoadedSpec) else _load(spec)


@dataclass
class Analysis:
    """Per-layer costs and totals of one network at one point.

    It holds what it was computed from — the loaded spec and the resolved point — so that
    nothing downstream (tables, reference checks) loads or resolves the spec again.
    """

    network: Network
    layers: list[LayerCost]
    totals: dict[str, Any]
    by_op: dict[str, dict[str, Any]]
    batch: Any = 1
    dtype: str = "fp32"
    symbolic: bool = False
    symbols: tuple[str, ...] = ()
    loaded: LoadedSpec | None = None
    point: Point | None = None
    #: symbolic mode: derived structural vars held at their value so their inputs stay symbols
    held: dict[str, Any] = field(default_factory=dict)

    @property
    def spec_path(self) -> str | None:
        """The spec file this analysis was computed from."""
        return str(self.loaded.path) if self.loaded is not None else None

    @property
    def conventions(self) -> str:
        return ARCHCALC.describe("analysis", batch=self.batch, dtype=self.dtype, symbolic=self.symbolic)

    def checks(self, source: str | None = None) -> list[Check]:
        """The spec's published figures recorded at exactly this point (:func:`archcalc.reference.matching`),
        of one ``source`` (a key or a class) if given. Computed once, from the spec this analysis holds."""
        return of_source(self._all_checks, source)

    @cached_property
    def _all_checks(self) -> list[Check]:
        return matching(self.loaded, self) if self.loaded is not None else []

    def published(self, source: str | None = None) -> list[dict[str, Any]]:
        """The JSON ``published`` list: one ``{source, quantity, figure, value, matches, ...}`` per figure."""
        return [_jsonable(p) for c in self.checks(source) for p in c.published()]

    def convention_counts(self, convention: str, pass_: str = "inference", input_grad: bool = False) -> list[Any]:
        """Every layer's count under a convention preset (archcalc.conventions.PRESETS), for
        the ``inference`` pass or, where the preset has rules for it, ``training``."""
        from archcalc.conventions import layer_counts

        try:
            return layer_counts(convention, self.network, self.layers, self.batch, pass_, input_grad)
        except ValueError as e:
            raise SpecError(str(e)) from None

    def to_dict(self, source: str | None = None, convention: str | None = None, pass_: str = "inference",
                input_grad: bool = False) -> dict[str, Any]:
        """The JSON contract of DESIGN.md (sympy values as strings in symbolic mode).

        ``published`` lists the published-figure checks of :meth:`published` (of ``source``);
        with a ``convention`` preset, its totals under ``"convention"`` and a
        ``"convention_count"`` per layer (the other keys unchanged).
        """
        out = self._to_dict(source)
        if convention is not None:
            from archcalc.conventions import get

            preset, counts = get(convention), self.convention_counts(convention, pass_, input_grad)
            total = sum(counts[1:], counts[0]) if counts else 0
            if self.symbolic:
                import sympy

                total = sympy.expand(total)
            out["convention"] = {"name": preset.name, "unit": preset.unit, "tool": preset.tool,
                                 "tool_version": preset.tool_version, "total": _jsonable(total)}
            if pass_ != "inference":
                out["convention"]["pass"] = pass_
            for rec, n in zip(out["layers"], counts):
                rec["convention_count"] = _jsonable(n)
        return out

    def _to_dict(self, source: str | None = None) -> dict[str, Any]:
        conv = _jsonable
        return {
            "model": self.network.name,
            "variant": self.network.variant,
            "vars": {k: conv(v) for k, v in self.network.vars.items()},
            "input": [conv(d) for d in self.network.input_shape],
            "batch": conv(self.batch),
            "dtype": self.dtype,
            "symbolic": self.symbolic,
            "symbols": list(self.symbols),
            "held": {k: conv(v) for k, v in self.held.items()},
            "model_kind": "ideal" if self.symbolic else "exact",
            "conventions": self.conventions,
            "totals": conv(self.totals),
            "by_op": conv(self.by_op),
            "layers": [
                {
                    "name": c.name, "op": c.op, "output": conv(list(c.output)),
                    "params": conv(c.params), "macs": conv(c.macs), "flops": conv(c.flops),
                    "activations": conv(c.activations),
                    "params_by_kind": conv(c.params_by_kind), "buffers": conv(c.buffers),
                    "flops_by_kind": conv(c.flops_by_kind),
                    "reads": conv(c.reads), "writes": conv(c.writes),
                    "activation_bytes": conv(c.activations * DTYPE_BYTES[self.dtype]),
                }
                for c in self.layers
            ],
            "published": self.published(source),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)

    def table(self, fmt: str = "table", per_layer: bool = True, layers: list[str] | None = None,
              source: str | None = None, convention: str | None = None, pass_: str = "inference",
              input_grad: bool = False) -> str:
        """The cost table in ``fmt``; ``layers`` selects rows by name, prefix or glob; ``source``
        keeps the published figures of one source (a key or a class); a ``convention`` preset
        adds its count per layer and in total."""
        from archcalc.report.tables import cost_table

        counts = None
        if convention is not None:
            from archcalc.conventions import get

            counts = (get(convention), dict(zip((c.name for c in self.layers),
                                                self.convention_counts(convention, pass_, input_grad))), pass_)
        return cost_table(self, fmt, per_layer, self.select(layers) if layers else None, source, counts)

    def select(self, patterns: list[str]) -> list[LayerCost]:
        """Layers whose name equals a pattern, lies under it (``stage3`` -> ``stage3.*``) or matches a glob.

        >>> [c.name for c in analyze("mobilenet").select(["block12.sep.p*"])]
        ['block12.sep.pw', 'block12.sep.pw_bn', 'block12.sep.pw_relu']
        """
        from fnmatch import fnmatchcase

        chosen = [c for c in self.layers
                  if any(c.name == p or c.name.startswith(p + ".") or fnmatchcase(c.name, p) for p in patterns)]
        if not chosen:
            tops = sorted({c.name.split(".")[0] for c in self.layers})
            raise SettingError("layer", f"no layer of {self.network.name} matches {', '.join(patterns)}; "
                               f"top-level names: {', '.join(tops[:20])}" + (" ..." if len(tops) > 20 else ""))
        return chosen


def _jsonable(v: Any) -> Any:
    from fractions import Fraction

    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, Fraction):
        return str(v)
    if isinstance(v, float):
        return v
    return str(v)


def analyze(spec: str | Path | LoadedSpec, variant: str | None = None,
            vars: dict[str, Any] | None = None, resolution: Any = None, batch: int = 1,
            dtype: str = "fp32", symbolic: bool = False,
            symbols: Iterable[str] | None = None) -> Analysis:
    """Build and cost a spec at a point; with ``symbolic`` the ideal model in sympy symbols."""
    with _no_gc():
        return _analyze(spec, variant, vars, resolution, batch, dtype, symbolic, symbols)


@contextmanager
def _no_gc():
    """Pause the cyclic garbage collector while building: the graph allocates many objects
    and no cycles worth collecting, and generation-2 passes made build time superlinear
    in the layer count (benchmarks/cost.py)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _analyze(spec, variant, vars, resolution, batch, dtype, symbolic, symbols) -> Analysis:
    from archcalc.reference import check_entries

    loaded = load(spec)
    check_entries(loaded)  # a broken reference entry is a spec error, not a failure of the output
    if dtype not in DTYPE_BYTES:
        raise SettingError("dtype", f"unknown dtype '{dtype}' (choose from {', '.join(DTYPE_BYTES)})")
    batch = _batch(batch)
    point = resolve(loaded, variant, vars, resolution)
    try:
        if not symbolic:
            net = _build(loaded, point, point.vars, Ctx(ideal=False))
            chosen: tuple[str, ...] = ()
            frozen: dict[str, Any] = {}
        else:
            # The point must be a valid network before it is generalised: symbolic mode never
            # prints formulas (negative channel counts ...) for a spec numeric mode rejects.
            _build(loaded, point, point.vars, Ctx(ideal=False))
            net, chosen, frozen = _build_symbolic(loaded, point, symbols)
    except (ShapeError, GraphError) as e:
        # The spec line is where it broke; say which of the user's settings led there.
        given = dict(vars or {}) | ({"resolution": resolution} if resolution is not None else {})
        if given:
            e.message += " (with " + ", ".join(f"{k}={v}" for k, v in given.items()) + ")"
        raise
    costs = layer_costs(net, batch)
    tot = totals(net, costs, batch, dtype)
    if frozen:  # a free var read only by a held var (EfficientNet's alpha) is no symbol of the result
        used = {str(x) for k in ("params", "macs", "flops") for x in getattr(tot[k], "free_symbols", ())}
        chosen = tuple(n for n in chosen if n in used)
    return Analysis(
        net, costs, tot, by_op(costs, symbolic), batch, dtype,
        symbolic, chosen, loaded, point, frozen,
    )


def _batch(batch: Any) -> int:
    """The batch size, a positive integer (``'2'`` or ``2``); anything else blames the setting."""
    try:
        value = parse_value(batch) if isinstance(batch, str) else batch
    except SpecError as e:
        raise SettingError("batch", f"'{batch}' is not a number ({e.message})") from None
    if getattr(value, "denominator", None) == 1 and not isinstance(value, bool):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingError("batch", f"'{batch}' is not a positive integer")
    return value


def _build(loaded: LoadedSpec, point: Point, values: dict, ctx: Ctx) -> Network:
    try:
        shape = input_shape(point, values, ctx.ideal)
    except SpecError as e:
        raise e.located(loaded.source.loc(("input",))) from None
    return build(loaded, values, shape, ctx, point.variant)


def _default_symbols(loaded: LoadedSpec, point: Point) -> tuple[list[str], dict[str, Any], Any]:
    """The default symbols: the free vars, minus those that decide structure directly.

    A *derived* var that decides structure (EfficientNet's ``depth_mult: alpha ** phi``
    sets repeat counts) is held at its value at the point instead, so the free vars it
    reads (``phi``) stay symbols wherever else they are used (``width_mult: beta ** phi``,
    ``resolution: round(224 * gamma ** phi)``). Which vars are structural is found by
    trial builds with every candidate var, derived ones included, as its own symbol.
    Each round first builds the network its candidates would end in (their free vars as
    symbols, the other derived vars held): when no candidate is structural that build
    succeeds and is the result, without a trial (DenseNet's derived ``init`` cost a
    whole build before). Returns the symbol names, the held vars with their values, and
    the network built with exactly those (None: the caller builds it, or reports why not).
    """
    import sympy

    names = free_vars(point)
    derived = [k for k, v in point.raw.items() if k not in names and isinstance(v, str)
               and type(point.vars[k]).__name__ in ("int", "Fraction", "float")]
    cand = names + derived
    while True:
        held = {k: point.vars[k] for k in derived if k not in cand}
        final = [n for n in names if n in cand]
        net, err = _ideal(loaded, point, {n: sympy.Symbol(n, positive=True) for n in final} | held)
        if net is not None:
            return final, held, net
        if set(cand) & set(derived):  # the trial: derived candidates as their own symbols
            net, err = _ideal(loaded, point, {n: sympy.Symbol(n, positive=True) for n in cand} | held)
            if net is not None:
                break  # no candidate is structural there: the caller builds the final network
        if not isinstance(err, StructuralSymbolError):
            return names, {}, None  # a placeholder cannot stand for a derived var here: drop, as before
        culprits = set(err.symbols) & set(cand)
        if not culprits:
            break  # reported by the real build
        cand = [n for n in cand if n not in culprits]
    return [n for n in names if n in cand], {k: point.vars[k] for k in derived if k not in cand}, None


def _ideal(loaded: LoadedSpec, point: Point, bound: dict):
    """(the ideal network with the vars bound so, None), or (None, the ArchcalcError its build raised)."""
    try:
        values = evaluate_vars(loaded, point.raw, bound, point.vars)
        return _build(loaded, point, values, Ctx(ideal=True)), None
    except ArchcalcError as e:
        return None, e


def _build_symbolic(loaded: LoadedSpec, point: Point, symbols: Iterable[str] | None):
    import sympy

    explicit = symbols is not None
    if explicit:
        names = [s.strip() for s in symbols if s.strip()]
        for n in names:
            if n not in point.vars:
                raise SettingError("symbols", f"{loaded.spec.name} has no var '{n}' "
                                              f"(its vars: {', '.join(point.vars)})")
        frozen: dict[str, Any] = {}
    else:
        names, frozen, net = _default_symbols(loaded, point)
        if net is not None:  # the trial build was this very build (same symbols, same held vars)
            return net, tuple(names), frozen
    while True:
        bound = {n: sympy.Symbol(n, positive=True) for n in names} | frozen
        try:
            values = evaluate_vars(loaded, point.raw, bound, point.vars)
            return _build(loaded, point, values, Ctx(ideal=True)), tuple(names), frozen
        except StructuralSymbolError as e:
            culprits = sorted(e.symbols & set(names))
            if explicit or not culprits:
                raise SpecError.naming(
                    "var {culprits} is structural: {message}; it decides a repeat count, a condition or a "
                    "list index and cannot be a symbol (choose others with {symbols})", "symbols", loc=e.loc,
                    culprits=", ".join(repr(c) for c in culprits) or "?", message=e.message,
                ) from None
            names = [n for n in names if n not in culprits]
