"""Compare a spec with the published figures in its ``reference:`` list.

A published figure is written as printed — ``569M``, ``4.2M``, ``0.39B``,
``3.86G`` — so its precision is known: it matches when the exact count is
within one unit of its last printed digit (569M: +-1M; 4.2M: +-0.1M). An
``exact: true`` entry (an official implementation's count) must match exactly.
Params are compared in the source's own convention, a sum of ``params_by_kind``
(``weights``, ``weights+biases``, ``all`` ...), never a fudge factor. An entry
with ``deviation:`` documents a figure the real architecture cannot meet: it
is reported, not enforced.

>>> parse_figure("4.2M")
Figure(value=4200000, tolerance=100000, text='4.2M')
>>> parse_figure("0.39B").tolerance
10000000
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from archcalc.errors import SpecError
from archcalc.ops import PARAM_KINDS

_SCALE = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}
_KIND_ALIASES = {"weight": "weights", "weights": "weights", "bias": "biases", "biases": "biases",
                 "bn": "norm_affine", "norm": "norm_affine", "norm_affine": "norm_affine",
                 "other": "other", "layer_scale": "other"}


@dataclass(frozen=True)
class Figure:
    """A printed number: its value and the tolerance its printed precision implies."""

    value: int | Fraction
    tolerance: int | Fraction
    text: str


def parse_figure(v: Any, exact: bool = False) -> Figure | None:
    """``'569M'`` -> Figure(569000000, 1000000): one unit of the last printed digit.

    A bare int is printed to the unit (tolerance 1); with ``exact`` (an official
    implementation's count) the tolerance is 0.
    """
    if v is None:
        return None
    if isinstance(v, bool):
        raise SpecError(f"reference figure must be a number like '4.2M', got {v!r}")
    if isinstance(v, int):
        return Figure(v, 0 if exact else 1, str(v))
    text = str(v).strip()
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*([KMGBT]?)", text)
    if not m:
        raise SpecError(f"reference figure '{text}' is not a number with an optional K/M/G/B/T suffix")
    digits, unit = m.groups()
    d = Decimal(digits)
    scale = _SCALE[unit]
    value = Fraction(d) * scale
    unit_last = Fraction(1, 10 ** max(0, -d.as_tuple().exponent)) * scale
    value = value.numerator if value.denominator == 1 else value
    tol = 0 if exact else (unit_last.numerator if unit_last.denominator == 1 else unit_last)
    return Figure(value, tol, text)


def convention_kinds(convention: str) -> tuple[str, ...]:
    """``'weights+biases'`` -> ('weights', 'biases'); ``'all'`` -> every param kind."""
    if convention.strip() == "all":
        return PARAM_KINDS
    kinds = []
    for part in convention.split("+"):
        k = _KIND_ALIASES.get(part.strip())
        if k is None:
            raise SpecError(
                f"params_convention '{convention}': unknown part '{part}' "
                f"(use 'all' or kinds joined by '+': weights, biases, norm_affine, other)"
            )
        kinds.append(k)
    return tuple(kinds)


@dataclass
class Check:
    """One reference entry compared with archcalc's count."""

    ref: Any  # archcalc.spec.models.Reference
    analysis: Any  # archcalc.api.Analysis
    macs: int | None
    params: int | None
    macs_fig: Figure | None
    params_fig: Figure | None

    def _dev(self, got, fig):
        if fig is None or got is None or fig.value == 0:
            return None
        return float((Fraction(got) - Fraction(fig.value)) / Fraction(fig.value) * 100)

    @property
    def macs_deviation_pct(self) -> float | None:
        """(archcalc - published) / published in percent, or None without a figure."""
        return self._dev(self.macs, self.macs_fig)

    @property
    def params_deviation_pct(self) -> float | None:
        """The same for params, in the source's convention."""
        return self._dev(self.params, self.params_fig)

    def _ok(self, got, fig) -> bool | None:
        if fig is None:
            return None
        return abs(Fraction(got) - Fraction(fig.value)) <= fig.tolerance

    @property
    def macs_ok(self) -> bool | None:
        """Within the printed figure's tolerance (None without a figure)."""
        return self._ok(self.macs, self.macs_fig)

    @property
    def params_ok(self) -> bool | None:
        """Within the printed figure's tolerance, in the source's convention."""
        return self._ok(self.params, self.params_fig)

    @property
    def enforced(self) -> bool:
        """Deviation entries are documented, not enforced."""
        return self.ref.deviation is None

    @property
    def ok(self) -> bool:
        """Everything enforced matches (a documented deviation is not enforced)."""
        return all(v is not False for v in (self.macs_ok, self.params_ok)) or not self.enforced


def _excluded(name: str, excludes: list[str]) -> bool:
    return any(name == ex or name.startswith(ex + ".") for ex in excludes)


def point(ref) -> dict[str, str]:
    """A reference entry's vars as ``analyze`` overrides (values as expression strings)."""
    return {k: (v if isinstance(v, str) else str(v)) for k, v in ref.vars.items()}


def check(spec, ref, cache: dict | None = None, analysis=None) -> Check:
    """Cost ``spec`` at the reference's point and compare (``cache`` reuses analyses by point)."""
    from archcalc.api import analyze, load

    loaded = load(spec)
    key = (ref.variant, tuple(sorted(point(ref).items())))
    if analysis is not None:
        a = analysis
    elif cache is not None and key in cache:
        a = cache[key]
    else:
        a = analyze(loaded, variant=ref.variant, vars=point(ref))
        if cache is not None:
            cache[key] = a
    layers = [c for c in a.layers if not _excluded(c.name, ref.exclude)]
    if ref.exclude and len(layers) == len(a.layers):
        i = next((i for i, r in enumerate(loaded.spec.reference) if r is ref), None)
        where = loaded.source.loc(("reference", i, "exclude")) if i is not None else None
        raise SpecError(f"reference from '{ref.source}': exclude {ref.exclude} names no layer", where)
    kinds = convention_kinds(ref.params_convention)
    macs = sum(c.macs for c in layers)
    params = sum(c.params_by_kind.get(k, 0) for c in layers for k in kinds)
    return Check(ref, a, macs, params, parse_figure(ref.macs, ref.exact), parse_figure(ref.params, ref.exact))


def check_all(spec) -> list[Check]:
    """Every reference entry of ``spec``, compared."""
    from archcalc.api import load

    loaded = load(spec)
    cache: dict = {}
    return [check(loaded, ref, cache) for ref in loaded.spec.reference]


def matching(spec, analysis) -> list[Check]:
    """The reference entries recorded at exactly the point ``analysis`` was computed at."""
    from archcalc.api import load, resolve

    loaded = load(spec)
    net = analysis.network
    out = []
    for ref in loaded.spec.reference:
        if (ref.variant or loaded.spec.default_variant) != net.variant:
            continue
        at = resolve(loaded, ref.variant, point(ref))
        if at.vars == net.vars and analysis.batch == 1:
            out.append(check(loaded, ref, analysis=analysis))
    return out
