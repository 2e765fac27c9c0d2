"""The Python API: ``load`` a spec, ``analyze`` it at a point (or symbolically).

>>> a = analyze("mobilenet", vars={"alpha": "0.75"})
>>> a.totals["macs"]
325400448
>>> a.totals["params_by_kind"]["weights"]
2568144
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from archcalc.cost import CONVENTIONS, LayerCost, by_op, layer_costs, totals
from archcalc.errors import GraphError, SettingError, ShapeError, SpecError, StructuralSymbolError
from archcalc.graph import Network, build
from archcalc.memory import DTYPE_BYTES
from archcalc.ops import Ctx
from archcalc.spec.expr import parse_value
from archcalc.point import Point, evaluate_vars, free_vars, input_shape, resolve  # noqa: F401 (re-exported)
from archcalc.spec.loader import LoadedSpec
from archcalc.spec.loader import load as _load


def load(spec: str | Path | LoadedSpec) -> LoadedSpec:
    """Load a spec by path or bundled name (a ``LoadedSpec`` passes through)."""
    return spec if isinstance(spec, LoadedSpec) else _load(spec)


@dataclass
class Analysis:
    """Per-layer costs and totals of one network at one point."""

    network: Network
    layers: list[LayerCost]
    totals: dict[str, Any]
    by_op: dict[str, dict[str, Any]]
    batch: Any = 1
    dtype: str = "fp32"
    symbolic: bool = False
    symbols: tuple[str, ...] = ()
    spec_path: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def conventions(self) -> str:
        model = " Symbolic: the ideal model (sizes H/stride, channels unrounded)." if self.symbolic else ""
        return CONVENTIONS + f"; batch {self.batch}, dtype {self.dtype}.{model}"

    def checks(self, source: str | None = None) -> list:
        """The spec's published figures recorded at exactly this point (:func:`archcalc.reference.matching`),
        of one ``source`` (a key or a class) if given."""
        from archcalc.reference import matching

        return matching(self.spec_path, self, source) if self.spec_path else []

    def published(self, source: str | None = None) -> list[dict[str, Any]]:
        """The JSON ``published`` list: one ``{source, quantity, figure, value, matches, ...}`` per figure."""
        return [_jsonable(p) for c in self.checks(source) for p in c.published()]

    def to_dict(self, source: str | None = None) -> dict[str, Any]:
        """The JSON contract of DESIGN.md (sympy values as strings in symbolic mode).

        ``published`` lists the published-figure checks of :meth:`published` (of ``source``).
        """
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
        return json.dumps(self.to_dict(), indent=indent)

    def table(self, fmt: str = "table", per_layer: bool = True, layers: list[str] | None = None,
              source: str | None = None) -> str:
        """The cost table in ``fmt``; ``layers`` selects rows by name, prefix or glob; ``source``
        keeps the published figures of one source (a key or a class)."""
        from archcalc.report.tables import cost_table

        return cost_table(self, fmt, per_layer, self.select(layers) if layers else None, source)

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
    loaded = load(spec)
    if dtype not in DTYPE_BYTES:
        raise SettingError("dtype", f"unknown dtype '{dtype}' (choose from {', '.join(DTYPE_BYTES)})")
    batch = _batch(batch)
    point = resolve(loaded, variant, vars, resolution)
    try:
        if not symbolic:
            net = _build(loaded, point, point.vars, Ctx(ideal=False))
            chosen: tuple[str, ...] = ()
        else:
            # The point must be a valid network before it is generalised: symbolic mode never
            # prints formulas (negative channel counts ...) for a spec numeric mode rejects.
            _build(loaded, point, point.vars, Ctx(ideal=False))
            net, chosen = _build_symbolic(loaded, point, symbols)
    except (ShapeError, GraphError) as e:
        # The spec line is where it broke; say which of the user's settings led there.
        given = dict(vars or {}) | ({"resolution": resolution} if resolution is not None else {})
        if given:
            e.message += " (with " + ", ".join(f"{k}={v}" for k, v in given.items()) + ")"
        raise
    costs = layer_costs(net, batch)
    return Analysis(
        net, costs, totals(net, costs, batch, dtype), by_op(costs, symbolic), batch, dtype,
        symbolic, chosen, str(loaded.path),
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


def _build_symbolic(loaded: LoadedSpec, point: Point, symbols: Iterable[str] | None):
    import sympy

    explicit = symbols is not None
    if explicit:
        names = [s.strip() for s in symbols if s.strip()]
        for n in names:
            if n not in point.vars:
                raise SettingError("symbols", f"{loaded.spec.name} has no var '{n}' "
                                              f"(its vars: {', '.join(point.vars)})")
    else:
        names = free_vars(point)
    while True:
        bound = {n: sympy.Symbol(n, positive=True) for n in names}
        try:
            values = evaluate_vars(loaded, point.raw, bound, point.vars)
            return _build(loaded, point, values, Ctx(ideal=True)), tuple(names)
        except StructuralSymbolError as e:
            culprits = sorted(e.symbols & set(names))
            if explicit or not culprits:
                raise SpecError(
                    f"var {', '.join(repr(c) for c in culprits) or '?'} is structural: {e.message}; "
                    "it decides a repeat count, a condition or a list index and cannot be a symbol "
                    "(choose others with --symbols)", e.loc,
                ) from None
            names = [n for n in names if n not in culprits]
