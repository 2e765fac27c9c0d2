"""Compare a spec with the published figures in its ``reference:`` list.

**Matching rule.** A published figure is written as printed — ``569M``,
``4.2M``, ``0.39B``, ``3.86G`` — so its precision is known. It matches when
archcalc's count, *rounded* (half up) **or** *truncated* to the figure's printed
precision, gives the printed figure; either rule is enough, since papers do both
(4,209,088 gives 4.2M both ways; 568,740,352 rounds to 569M; 25,557,032 truncates
to 25.5M). A bare integer, and every ``exact: true`` entry (an official
implementation's count), must equal the count. Params are compared in the
source's own convention, a sum of ``params_by_kind`` (``weights``,
``weights+biases``, ``all`` ...), never a fudge factor. An entry with
``deviation:`` documents a figure the real architecture cannot meet: it is
reported, not enforced.

**Which entries apply to a point.** An entry applies to an analysed point only
when everything that determines the count agrees: the variant, the vars
(``classes`` included) and the input shape. A var that only sets the input size
(MobileNet's ``rho``) is judged by the input shape it gives, so ``--resolution
160`` and ``rho = 5/7`` are the same point; the 224-pixel rows never apply to it.

**Sources.** Each entry's source has a *key* — ``howard2017`` for "Howard et al.
2017, Table 7" (first author and year of a paper), else the first word of the
source (``torchvision``, ``tf-slim``, ``timm``; ``convnext-readme``) — and a
*class*, ``published-paper`` or ``official-implementation``. A table row takes
every published figure from one source: the one asked for (``--source KEY`` or
a class), or by default the spec's own paper first, then other papers, then
official implementations, in the order the spec lists them.

>>> parse_figure("4.2M")
Figure(value=4200000, unit=100000, text='4.2M', exact=False)
>>> fig = parse_figure("1M"); fig.matches(314), fig.matches(1_499_999), fig.matches(1_999_999)
(False, True, True)
>>> parse_figure("569M").matches(568_740_352), parse_figure("25.5M").matches(25_557_032)
(True, True)
>>> source_key("Howard et al. 2017, Table 7"), source_key("torchvision resnet50 (num_params)")
('howard2017', 'torchvision')
>>> source_class("He, Zhang, Ren, Sun 2016, Deep Residual Learning"), source_class("TF-slim mobilenet_v1.md")
('published-paper', 'official-implementation')
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from archcalc.errors import SettingError, SpecError
from archcalc.ops import PARAM_KINDS
from archcalc.point import input_shape, resolve

_SCALE = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}
_KIND_ALIASES = {"weight": "weights", "weights": "weights", "bias": "biases", "biases": "biases",
                 "bn": "norm_affine", "norm": "norm_affine", "norm_affine": "norm_affine",
                 "other": "other", "layer_scale": "other"}

#: the source classes ``--source`` accepts besides a source key
SOURCE_CLASSES = ("published-paper", "official-implementation")


@dataclass(frozen=True)
class Figure:
    """A printed number: its value, the place value of its last printed digit, its text."""

    value: int | Fraction
    unit: int | Fraction
    text: str
    exact: bool = False

    def matches(self, got: int | Fraction) -> bool:
        """``got`` rounded (half up) or truncated to the printed precision gives the figure.

        An exact figure (a bare integer, or ``exact: true``) must equal ``got``.
        """
        if self.exact:
            return Fraction(got) == Fraction(self.value)
        printed = Fraction(self.value) / Fraction(self.unit)
        x = Fraction(got) / Fraction(self.unit)
        return printed in (math.floor(x + Fraction(1, 2)), math.floor(x))


def parse_figure(v: Any, exact: bool = False) -> Figure | None:
    """``'569M'`` -> Figure(569000000, unit 1000000); a bare int is exact (printed to the unit)."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise SpecError(f"reference figure must be a number like '4.2M', got {v!r}")
    if isinstance(v, int):
        return Figure(v, 1, str(v), True)
    text = str(v).strip()
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*([KMGBT]?)", text)
    if not m:
        raise SpecError(f"reference figure '{text}' is not a number with an optional K/M/G/B/T suffix")
    digits, suffix = m.groups()
    d = Decimal(digits)
    scale = _SCALE[suffix]
    value = Fraction(d) * scale
    unit = Fraction(1, 10 ** max(0, -d.as_tuple().exponent)) * scale
    value = value.numerator if value.denominator == 1 else value
    unit = unit.numerator if unit.denominator == 1 else unit
    return Figure(value, unit, text, exact)


# ----------------------------------------------------------------- sources --
_PAPER = re.compile(r"([A-Z][\w'-]*)(?: et al\.| & [A-Z][\w'-]*|(?:, [A-Z][\w'-]*)+)? ((?:19|20)\d\d[a-z]?)\b")


def source_class(source: str) -> str:
    """``'published-paper'`` when the source starts with authors and a year, else ``'official-implementation'``."""
    return "published-paper" if _PAPER.match(source.strip()) else "official-implementation"


def source_key(source: str) -> str:
    """A short name for a source: first author + year of a paper, else the source's first word.

    >>> source_key("He, Zhang, Ren, Sun 2016, Deep Residual Learning"), source_key("He et al. 2016b, Table 2")
    ('he2016', 'he2016b')
    >>> source_key("ConvNeXt README, ImageNet-1K trained models"), source_key("TF-slim mobilenet_v1.md")
    ('convnext-readme', 'tf-slim')
    """
    text = source.strip()
    m = _PAPER.match(text)
    if m:
        return m.group(1).lower() + m.group(2)
    words = re.split(r"[\s,;:()]+", text)
    key = words[0]
    if len(words) > 1 and words[1].upper() == "README":
        key += "-readme"
    return key.lower()


def primary_key(loaded) -> str | None:
    """The source key of the spec's own paper (its ``paper:``), if it names one."""
    paper = loaded.spec.paper
    return source_key(paper) if paper and source_class(paper) == "published-paper" else None


def source_keys(loaded) -> list[str]:
    """Every source key of the spec's reference entries, in spec order."""
    return list(dict.fromkeys(source_key(r.source) for r in loaded.spec.reference))


def source_rank(loaded) -> list[str]:
    """The default order of sources: the spec's paper, other papers, official implementations."""
    keys = source_keys(loaded)
    first = primary_key(loaded)
    papers = [k for k in keys if k != first and _class_of_key(loaded, k) == "published-paper"]
    others = [k for k in keys if k != first and k not in papers]
    return ([first] if first in keys else []) + papers + others


def _class_of_key(loaded, key: str) -> str:
    return next(source_class(r.source) for r in loaded.spec.reference if source_key(r.source) == key)


def check_source(name: str | None, specs: list) -> str | None:
    """``--source NAME`` checked against the compared specs: a class, or a key one of them has."""
    if name is None:
        return None
    name = name.strip().lower()
    if name in SOURCE_CLASSES:
        return name
    known = list(dict.fromkeys(k for s in specs for k in source_keys(s)))
    if name not in known:
        raise SettingError("source", f"'{name}': no such source (choose from {', '.join(SOURCE_CLASSES)}, "
                           f"or a key: {', '.join(known) or 'none'})", form="{setting} {detail}")
    return name


def choose(loaded, checks: list, source: str | None = None) -> list:
    """The checks of one source: ``source`` (a key or a class), or the first by :func:`source_rank`.

    With a class, the first source of that class (in rank order) that has an entry here.
    """
    keys = {id(c): source_key(c.ref.source) for c in checks}
    rank = source_rank(loaded)
    if source in SOURCE_CLASSES:
        rank = [k for k in rank if _class_of_key(loaded, k) == source]
    elif source is not None:
        rank = [source]
    for key in rank:
        chosen = [c for c in checks if keys[id(c)] == key]
        if chosen:
            return chosen
    return []


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

    @property
    def source_key(self) -> str:
        return source_key(self.ref.source)

    @property
    def source_class(self) -> str:
        return source_class(self.ref.source)

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

    @property
    def macs_ok(self) -> bool | None:
        """The count gives the printed figure, rounded or truncated (None without a figure)."""
        return None if self.macs_fig is None else self.macs_fig.matches(self.macs)

    @property
    def params_ok(self) -> bool | None:
        """The same for params, in the source's convention."""
        return None if self.params_fig is None else self.params_fig.matches(self.params)

    @property
    def enforced(self) -> bool:
        """Deviation entries are documented, not enforced."""
        return self.ref.deviation is None

    @property
    def ok(self) -> bool:
        """Everything enforced matches (a documented deviation is not enforced)."""
        return all(v is not False for v in (self.macs_ok, self.params_ok)) or not self.enforced

    def published(self) -> list[dict[str, Any]]:
        """The JSON form: one ``{source, quantity, figure, value, matches}`` per printed figure."""
        out = []
        for quantity, got, fig, ok, label in (("macs", self.macs, self.macs_fig, self.macs_ok, self.ref.macs_label),
                                             ("params", self.params, self.params_fig, self.params_ok, None)):
            if fig is None:
                continue
            out.append({
                "source": self.ref.source, "source_key": self.source_key, "source_class": self.source_class,
                "quantity": quantity, "figure": fig.text, "figure_value": _num(fig.value), "value": got,
                "matches": ok, "deviation_pct": self._dev(got, fig), "exact": fig.exact,
                "label": label, "params_convention": self.ref.params_convention if quantity == "params" else None,
                "exclude": list(self.ref.exclude), "documented_deviation": self.ref.deviation,
            })
        if self.ref.top1 is not None:
            out.append({"source": self.ref.source, "source_key": self.source_key,
                        "source_class": self.source_class, "quantity": "top1", "figure": str(self.ref.top1),
                        "figure_value": self.ref.top1, "value": None, "matches": None,
                        "pretrain": self.ref.pretrain})
        return out


def _num(v):
    return v if isinstance(v, int) else str(v)


def _excluded(name: str, excludes: list[str]) -> bool:
    return any(name == ex or name.startswith(ex + ".") for ex in excludes)


def point(ref) -> dict[str, str]:
    """A reference entry's vars as ``analyze`` overrides (values as expression strings)."""
    return {k: (v if isinstance(v, str) else str(v)) for k, v in ref.vars.items()}


def check(loaded, ref, analysis) -> Check:
    """Compare ``analysis`` (computed at the reference's point) with the reference entry ``ref``.

    Nothing here loads or analyses: the caller (``Analysis.checks``, or the study layer's
    :func:`archcalc.study.check_reference` for an entry's own point) brings both.
    """
    a = analysis
    layers = [c for c in a.layers if not _excluded(c.name, ref.exclude)]
    if ref.exclude and len(layers) == len(a.layers):
        i = next((i for i, r in enumerate(loaded.spec.reference) if r is ref), None)
        where = loaded.source.loc(("reference", i, "exclude")) if i is not None else None
        raise SpecError(f"reference from '{ref.source}': exclude {ref.exclude} names no layer", where)
    kinds = convention_kinds(ref.params_convention)
    macs = sum(c.macs for c in layers)
    params = sum(c.params_by_kind.get(k, 0) for c in layers for k in kinds)
    return Check(ref, a, macs, params, parse_figure(ref.macs, ref.exact), parse_figure(ref.params, ref.exact))


def check_entries(loaded) -> None:
    """Every reference entry names a known variant and vars and gives an input shape and
    readable figures, or a SpecError located at the entry (checked once per loaded spec)."""
    from archcalc.errors import ArchcalcError
    from archcalc.point import input_shape, resolve

    if getattr(loaded, "_references_checked", False):
        return
    for i, ref in enumerate(loaded.spec.reference):
        try:
            at = resolve(loaded, ref.variant, point(ref))
            input_shape(at, at.vars, False)
            parse_figure(ref.macs, ref.exact)
            parse_figure(ref.params, ref.exact)
            convention_kinds(ref.params_convention)
        except ArchcalcError as e:
            e.message = f"reference entry {i + 1} ({ref.source!r}): {e.message}"
            e.loc = loaded.source.loc(("reference", i))
            raise
    loaded._references_checked = True


def input_only_vars(loaded) -> frozenset[str]:
    """Vars named in the input shape and nowhere else: the input shape they give stands for them.

    Worked out once per loaded spec (every reference entry asks): the layers and blocks are
    written out once, and each candidate is looked for there and in the other vars.
    """
    known = getattr(loaded, "_input_only_vars", None)
    if known is not None:
        return known
    spec = loaded.spec
    named: set[str] = set()
    for d in spec.input:
        if isinstance(d, str):
            named |= set(re.findall(r"[A-Za-z_]\w*", d))
    out = set()
    candidates = named & set(spec.vars)
    if candidates:
        body = json.dumps([spec.model_dump(include={"layers", "blocks"}, mode="json"),
                           [b.model_dump(mode="json") for b, _ in loaded.blocks.values()]], default=str)
        for name in candidates:
            word = re.compile(rf"\b{re.escape(name)}\b")
            others = json.dumps({k: v for k, v in spec.vars.items() if k != name}, default=str)
            if not word.search(body) and not word.search(others):
                out.add(name)
    loaded._input_only_vars = frozenset(out)
    return loaded._input_only_vars


def same_point(loaded, ref, analysis) -> bool:
    """``ref`` was recorded at the point of ``analysis``: variant, vars and input shape agree."""
    net = analysis.network
    if (ref.variant or loaded.spec.default_variant) != net.variant:
        return False
    at = resolve(loaded, ref.variant, point(ref))
    if tuple(input_shape(at, at.vars, False)) != tuple(net.input_shape):
        return False
    skip = input_only_vars(loaded)
    return all(at.vars.get(k) == net.vars.get(k) for k in set(at.vars) | set(net.vars) if k not in skip)


def matching(loaded, analysis, source: str | None = None) -> list[Check]:
    """The reference entries of ``loaded`` recorded at exactly the point ``analysis`` was computed at.

    With ``source`` (a key or a class), only that source's entries.
    """
    if analysis.symbolic or analysis.batch != 1:
        return []
    out = [check(loaded, ref, analysis) for ref in loaded.spec.reference if same_point(loaded, ref, analysis)]
    return of_source(out, source)


def of_source(checks: list[Check], source: str | None = None) -> list[Check]:
    """The checks of one ``source`` (a key or a class; None: all)."""
    if source in SOURCE_CLASSES:
        return [c for c in checks if c.source_class == source]
    if source is not None:
        return [c for c in checks if c.source_key == source]
    return checks
