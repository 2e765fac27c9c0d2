"""The study layer: evaluate a spec at many points (compare, sweep, accuracy, reports).

Everything here *computes* — it loads specs and calls :func:`archcalc.api.analyze` —
and hands results (:class:`~archcalc.report.compare.Row`,
:class:`~archcalc.report.accuracy.Point`) to ``archcalc.report``, which only renders.
Each distinct point is analysed once per process: loads and analyses are memoised
(keyed by the spec file, its size and modification time, and the resolved point).

>>> (row,) = compare_rows(["mobilenet"])
>>> row.labels, row.analysis.totals["macs"], row.macs_check.macs_fig.text
(['MobileNet v1', 'default'], 568740352, '569M')
>>> analyze_cached(load_cached("mobilenet"), None, {}) is row.analysis
True
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archcalc.api import Analysis, analyze, load
from archcalc.errors import SettingError, SpecError
from archcalc.point import resolve
from archcalc.reference import Check, check, check_source, point as reference_point
from archcalc.report.accuracy import Point, point_label
from archcalc.report.compare import Row, attach_references, split_spec_arg
from archcalc.report.sweep import RESOLUTION, VARIANT, grid
from archcalc.spec.loader import LoadedSpec, find

#: at most this many analyses are kept per process (least recently used dropped first)
MAX_CACHED = 512
_ANALYSES: OrderedDict[tuple, Analysis] = OrderedDict()
_LOADED: dict[tuple, LoadedSpec] = {}


def clear_cache() -> None:
    """Forget every memoised load and analysis of this process."""
    _ANALYSES.clear()
    _LOADED.clear()


def _file_key(path: Path) -> tuple:
    try:
        st = Path(path).stat()
        return (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        return (str(path),)


def load_cached(spec: str | Path | LoadedSpec) -> LoadedSpec:
    """:func:`archcalc.api.load`, memoised per file (a changed file is loaded again)."""
    if isinstance(spec, LoadedSpec):
        return spec
    try:
        key = _file_key(find(spec))
    except SpecError:
        return load(spec)  # let the loader report the missing file
    if key not in _LOADED:
        _LOADED[key] = load(spec)
    return _LOADED[key]


def analyze_cached(loaded: LoadedSpec, variant: str | None, vars_: dict[str, Any], resolution: Any = None,
                   batch: Any = 1, dtype: str = "fp32", cache: dict | None = None) -> Analysis:
    """:func:`archcalc.api.analyze`, memoised by the resolved point (variant, evaluated vars,
    input), batch and dtype.

    ``cache`` is a dict to use instead of the per-process cache.
    """
    at = resolve(loaded, variant, vars_, resolution)  # the point itself: {} and {alpha: 1} are one point
    key = (_file_key(loaded.path), at.variant, repr(sorted(at.vars.items())), repr(at.input), str(batch), dtype)
    store = _ANALYSES if cache is None else cache
    if key in store:
        if store is _ANALYSES:
            _ANALYSES.move_to_end(key)
        return store[key]
    a = analyze(loaded, variant=variant, vars=vars_, resolution=resolution, batch=batch, dtype=dtype)
    store[key] = a
    if store is _ANALYSES and len(_ANALYSES) > MAX_CACHED:
        _ANALYSES.popitem(last=False)
    return a


def check_reference(loaded: LoadedSpec, ref, cache: dict | None = None) -> Check:
    """One reference entry compared with archcalc's count at the entry's own point."""
    return check(loaded, ref, analyze_cached(loaded, ref.variant, reference_point(ref), cache=cache))


def check_all(spec) -> list[Check]:
    """Every reference entry of ``spec``, each at its own point."""
    loaded = load_cached(spec)
    return [check_reference(loaded, ref) for ref in loaded.spec.reference]


# ----------------------------------------------------------------- compare --
def compare_rows(items: list[str], vars: dict[str, str] | None = None, resolution: Any = None,
                 batch: Any = 1, dtype: str = "fp32", cache: dict | None = None,
                 source: str | None = None, on_row: Callable[[Row], None] | None = None) -> list[Row]:
    """One row per ``SPEC[:VARIANT]``, labelled (network, variant), with matching references.

    ``source`` (a source key or class) picks the published figures' source for every row;
    ``on_row`` is called with each row as it is done (progress).
    """
    check_source(source, [load_cached(split_spec_arg(i)[0]) for i in items])
    rows, used = [], set()
    for item in items:
        path, variant = split_spec_arg(item)
        loaded = load_cached(path)
        used |= set(loaded.spec.vars)
        own = {k: v for k, v in (vars or {}).items() if k in loaded.spec.vars}
        a = analyze_cached(loaded, variant, own, resolution, batch, dtype, cache)
        label = ", ".join(x for x in (a.network.variant, _point_label(loaded, a)) if x) or "default"
        rows.append(attach_references(Row([loaded.spec.name, label], a), source))
        if on_row is not None:
            on_row(rows[-1])
    unknown = sorted(set(vars or {}) - used)
    if unknown:
        raise SettingError(f"var {unknown[0]}", f"no compared spec has a var {', '.join(unknown)}")
    return rows


def _point_label(loaded: LoadedSpec, a: Analysis) -> str:
    """``alpha=3/4, rho=6/7`` for the vars that differ from the spec's defaults."""
    base = resolve(loaded, a.network.variant).vars
    return ", ".join(f"{k}={v}" for k, v in a.network.vars.items() if repr(base.get(k)) != repr(v))


# ------------------------------------------------------------------- sweep --
def sweep_rows(spec: Any, axes: list[tuple[str, list[str]]], fixed: dict[str, str] | None = None,
               batch: Any = 1, dtype: str = "fp32", cache: dict | None = None,
               source: str | None = None, variant: str | None = None,
               on_row: Callable[[Row], None] | None = None) -> list[Row]:
    """One row per grid point, labelled by the axis values, with published figures matched
    (from ``source``, a source key or class, when given); ``variant`` is the variant of every
    point unless the variants are an axis. ``on_row`` is called with each row as it is done."""
    loaded = load_cached(spec)
    check_source(source, [loaded])
    points = grid(axes)
    rows = []
    for pt in points:
        at = pt.get(VARIANT, variant)
        vars_ = dict(fixed or {})
        vars_.update({k: v for k, v in pt.items() if k not in (VARIANT, RESOLUTION)})
        resolution = pt.get(RESOLUTION)
        a = analyze_cached(loaded, at, vars_, resolution, batch, dtype, cache)
        rows.append(attach_references(Row([pt[n] for n, _ in axes], a), source))
        if on_row is not None:
            on_row(rows[-1])
    return rows


# ---------------------------------------------------------------- accuracy --
def accuracy_points(specs: list[Any], cache: dict | None = None) -> list[Point]:
    """Every reference entry with a top-1 (and no ``exclude``), costed at its own point."""
    out = []
    for spec in specs:
        loaded = load_cached(spec)
        for ref in loaded.spec.reference:
            if ref.top1 is None or ref.exclude:
                continue
            vars_ = reference_point(ref)
            a = analyze_cached(loaded, ref.variant, vars_, cache=cache)
            base = analyze_cached(loaded, ref.variant, {}, cache=cache) if vars_ else a
            out.append(Point(loaded.path.stem, loaded.spec.name, ref.variant, dict(ref.vars), point_label(ref),
                             a.totals["macs"], a.totals["params"], ref.top1, ref.source,
                             a.network.input_shape == base.network.input_shape, ref.pretrain))
    return out


def start_accuracy_points(specs: list[Any], jobs: int | None = None):
    """:func:`accuracy_points` of each spec, started now in ``jobs`` forked workers (None: one per
    core; 1: in this process when waited for): a :class:`archcalc.workers.Pending` whose results
    are the lists of points, in ``specs`` order. The caller may do other work meanwhile
    (``plot accuracy`` imports matplotlib); the points are the same either way."""
    from archcalc.workers import fork_start

    return fork_start(lambda spec: accuracy_points([spec]), specs, jobs)
