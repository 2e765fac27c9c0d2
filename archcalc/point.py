"""Where a spec is evaluated: a variant, var overrides and the input shape -> a Point.

Vars are evaluated in order (a var may use earlier ones); a variant presets
some, the caller overrides any (strings are parsed exactly, ``6/7``; ``true`` and
``false`` are the truth values, as in YAML). The input size (``resolution=``) is
one size R (sets the ``resolution`` var, or else the input's H and W), ``HxW``
or ``CxHxW`` (the input itself; a ``resolution`` var, if any, follows H).
Symbolic analysis re-evaluates the vars with symbols bound (``evaluate_vars``).

A value the caller gave that is wrong raises :class:`~archcalc.errors.SettingError`
naming the setting (``var alpha``, ``resolution``), never a spec line: the caller
(the CLI) says which of its flags it was.

>>> from archcalc.api import load
>>> resolve(load("mobilenet"), vars={"rho": "6/7"}).vars["rho"]
Fraction(6, 7)
>>> resolve(load("resnet"), "50", resolution="224x160").input
[3, 224, 160]
>>> parse_size("3x224x160")
(3, 224, 160)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import re

from archcalc.errors import SettingError, ShapeError, SpecError
from archcalc.values import as_int
from archcalc.spec.expr import evaluate, parse, parse_value

if TYPE_CHECKING:  # the loader validates reference points with resolve(): point sits below it
    from archcalc.spec.loader import LoadedSpec


@dataclass
class Point:
    """Where a spec is evaluated: variant, vars (raw and evaluated) and the input shape."""

    variant: str | None
    vars: dict[str, Any]
    input: list
    raw: dict[str, Any] = field(default_factory=dict)


TRUTH = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DIMS = re.compile(r"^\s*\d+(\s*[x\u00d7]\s*\d+){1,2}\s*$")


def override_value(value: Any) -> Any:
    """A value given by the caller: ``true``/``false`` (YAML's spellings) are truth values,
    any other string an expression (parsed exactly when evaluated)."""
    if isinstance(value, str) and value.strip() in TRUTH:
        return TRUTH[value.strip()]
    return value


def parse_size(value: Any) -> Any:
    """An input size: ``'224x160'`` -> (224, 160), ``'3x224x160'`` -> (3, 224, 160);
    a tuple or list of ints as is; anything else (one size, an expression) unchanged."""
    if isinstance(value, str) and _DIMS.match(value):
        return tuple(int(d) for d in re.split(r"[x\u00d7]", value.replace(" ", "")))
    if isinstance(value, (tuple, list)):
        if len(value) not in (2, 3) or not all(isinstance(d, int) and not isinstance(d, bool) for d in value):
            raise SettingError("resolution", f"{value!r} is not HxW or CxHxW (positive integers)")
        return tuple(value)
    return value


def split_spec(arg: str) -> tuple[str, str | None]:
    """``'resnet:50'`` or ``'specs/resnet.yaml:50'`` -> (spec, variant); a bare spec -> (spec, None).

    >>> split_spec("resnet:50"), split_spec("specs/resnet.yaml")
    (('resnet', '50'), ('specs/resnet.yaml', None))
    """
    head, sep, tail = arg.rpartition(":")
    if sep and head and tail and "/" not in tail and "\\" not in tail:
        return head, tail
    return arg, None


def resolve(loaded: LoadedSpec, variant: str | None = None, vars: dict[str, Any] | None = None,
            resolution: Any = None, where: dict[str, Any] | None = None) -> Point:
    """Merge base vars, a variant's preset and overrides (strings are parsed exactly).

    ``resolution``: one size (an int or an expression), ``HxW`` or ``CxHxW`` (a string
    or a tuple of ints) -- see the module docstring. An override keeps its var's kind (a
    boolean var takes true/false only, a number var a number); ``where`` maps an override
    to the ``Loc`` its errors are blamed on (a reference entry's ``vars:`` line), else they
    are the caller's (:class:`SettingError`).
    """
    spec = loaded.spec
    src = loaded.source
    raw = dict(spec.vars)
    if variant is None:
        variant = spec.default_variant
    if variant is not None:
        variant = str(variant)
        if variant not in spec.variants:
            known = ", ".join(spec.variants) or "none"
            raise SettingError("variant", f"{spec.name} has no variant '{variant}' (variants: {known})")
        for k, v in spec.variants[variant].items():
            if k not in spec.vars:
                raise SpecError(
                    f"variant '{variant}' sets '{k}', which is not in vars: "
                    f"({', '.join(spec.vars)}); declare it under vars:",
                    src.loc(("variants", variant, k)),
                )
            raw[k] = v
    overrides = {k: override_value(v) for k, v in (vars or {}).items()}
    base = dict(raw)  # the spec's (and variant's) values, before the overrides
    for k in overrides:
        if k not in spec.vars:
            raise SettingError(
                f"var {k}", f"{spec.name} has no var '{k}' (its vars: {', '.join(spec.vars) or 'none'})"
            )
    inp = list(spec.input)
    if len(inp) != 3:
        raise SpecError(f"input must be [C, H, W], got {inp!r}", src.loc(("input",)))
    size = parse_size(resolution)
    if size is not None and "resolution" in overrides and "resolution" in spec.vars:
        raise SettingError("resolution", f"{resolution} and var resolution={overrides['resolution']} both set "
                                         "the var 'resolution'; give one")
    shape_override = None
    if isinstance(size, tuple):
        if any(d < 1 for d in size):
            raise SettingError("resolution", f"{'x'.join(map(str, size))}: every size must be at least 1")
        c, h, w = size if len(size) == 3 else (None, *size)
        if h == w and c is None:
            size = h
        else:
            shape_override = [inp[0] if c is None else c, h, w]
            if "resolution" in spec.vars:
                overrides.setdefault("resolution", h)
            size = None
    if size is not None:
        if "resolution" in spec.vars:
            overrides.setdefault("resolution", size)
        else:
            r = _parse_setting("resolution", size) if isinstance(size, str) else size
            shape_override = [inp[0], r, r]
    raw.update(overrides)
    if shape_override is not None:
        used = set().union(*(parse(d).names for d in inp[1:] if isinstance(d, str)))
        clash = sorted(used & (set(overrides) - {"resolution"}))
        if clash:
            raise SettingError(
                "resolution", f"it replaces the input size {inp[1]!r}, so setting {', '.join(clash)} would "
                f"have no effect on it; give either the resolution or {', '.join(clash)}"
            )
        inp = shape_override
    values = evaluate_vars(loaded, raw, where=where, given=set(overrides) - set(where or {}))
    _check_kinds(loaded, base, overrides, values, where or {})
    return Point(variant, values, inp, raw)


def _parse_setting(setting: str, text: str) -> Any:
    """``text`` parsed exactly with no names in scope; a bad value blames ``setting``."""
    try:
        return parse_value(text)
    except SpecError as e:
        raise SettingError(setting, f"'{text}' is not a number ({e.message})") from None


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean (true/false)"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    return "a number"


def _check_kinds(loaded: LoadedSpec, base: dict, overrides: dict, values: dict, where: dict) -> None:
    """An override keeps its var's kind: a boolean stays a boolean, a number a number."""
    names = list(values)
    for k in overrides:
        if k not in base:
            continue
        earlier = {n: values[n] for n in names[: names.index(k)]}
        try:
            was = evaluate(base[k], earlier)
        except SpecError:
            continue  # the spec's own value does not evaluate here: nothing to compare with
        now = values[k]
        if type(now).__module__.startswith("sympy") or type(was).__module__.startswith("sympy"):
            continue
        if _kind(was) != _kind(now):
            shown = overrides[k] if isinstance(overrides[k], str) else repr(overrides[k])
            who = f"{k}={shown}" if k not in where else f"'{k}: {shown}'"
            spec_value = str(base[k]).lower() if isinstance(base[k], bool) else repr(base[k])
            detail = (f"'{k}' is {_kind(was)} in {loaded.spec.name} ({spec_value}), so it cannot "
                      f"be set to {_kind(now)}")
            if k not in where:  # the caller's value: blamed on the setting (the CLI: its flag)
                raise SettingError(f"var {k}", detail)
            raise SpecError(f"{who}: {detail}", where.get(k))


def parse_overrides(sets: list[str] | None, **shorthands: str | None) -> dict[str, str]:
    """``NAME=VALUE`` items plus shorthand options (``alpha=``) as overrides; a name set twice is an error.

    >>> parse_overrides(["alpha=3/4", "rho=6/7"])
    {'alpha': '3/4', 'rho': '6/7'}
    >>> parse_overrides(["alpha=0.75"], alpha="0.5")
    Traceback (most recent call last):
    ...
    archcalc.errors.SettingError: var alpha 0.5 and sets alpha=0.75 both set 'alpha'; give one
    """
    out: dict[str, str] = {}
    for item in sets or []:
        name, eq, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            raise SettingError("sets", f"expects NAME=VALUE, got '{item}'", form="{setting} {detail}")
        if name in out:
            raise SettingError("sets", "", form="{setting} {first} and {setting} {second} both set '{name}'; give one",
                               first=f"{name}={out[name]}", second=f"{name}={value}", name=name)
        out[name] = value
    for name, value in shorthands.items():
        if value is None:
            continue
        if name in out:
            raise SettingError(f"var {name}", "", form="{setting} {value} and {sets} {set} both set '{name}'; give one",
                               mentions=("sets",), value=value, set=f"{name}={out[name]}", name=name)
        out[name] = value
    return out


def evaluate_vars(loaded: LoadedSpec, raw: dict[str, Any], bound: dict[str, Any] | None = None,
                  numeric: dict[str, Any] | None = None, where: dict[str, Any] | None = None,
                  given: set[str] = frozenset()) -> dict:
    """Evaluate vars in order (a var may use earlier ones); ``bound`` names take fixed values.

    Symbolic analysis binds symbols here, so that derived vars (``width_mult: beta ** phi``)
    become formulas in them. A derived var that is a truth value, string or list at the
    numeric point (``widened: "widen != 1"``) is structure: it keeps its ``numeric`` value.
    A var in ``given`` (set by the caller) that does not evaluate blames the setting, not the spec.
    """
    bound = bound or {}
    values: dict[str, Any] = {}
    for k, v in raw.items():
        if k in bound:
            values[k] = bound[k]
            continue
        if numeric is not None and isinstance(numeric[k], (bool, str, list)):
            values[k] = numeric[k]
            continue
        try:
            values[k] = evaluate(v, values)
        except SpecError as e:
            if k in given:
                raise SettingError(f"var {k}", f"'{v}' is not a number ({e.message})") from None
            if "unknown name" in e.message and k in loaded.spec.vars:
                e.message = string_hint(k, v, e.message, loaded.spec.vars) or (
                    e.message + " (vars are evaluated in order: a var can use only the vars above it)")
            raise e.located((where or {}).get(k) or loaded.source.loc(("vars", k))) from None
    return values


def string_hint(name: str, value: Any, message: str, declared: Any = ()) -> str | None:
    """For a var written as bare words (``acts: [relu, hardswish]``), how to write strings.

    Every string in a spec is an expression, so a bare word is a *name*; a string
    value needs quotes inside the YAML string. Returns ``None`` unless the unknown
    name is one of the bare words and no var of that name is ``declared`` (one
    declared further down is an ordering mistake, not a string).

    >>> print(string_hint("acts", ["relu", "hardswish"], "unknown name 'relu'").rpartition("string: ")[2])
    acts: ["'relu'", "'hardswish'"]
    """
    items = value if isinstance(value, list) else [value]
    words = [x for x in items if isinstance(x, str) and x.isidentifier()]
    unknown = next((w for w in words if f"unknown name '{w}'" in message and w not in declared), None)
    if unknown is None:
        return None

    def show(x: Any) -> str:
        if isinstance(x, str) and x.isidentifier():
            return f"\"'{x}'\""
        return f'"{x}"' if isinstance(x, str) else str(x)

    fix = "[" + ", ".join(show(x) for x in items) + "]" if isinstance(value, list) else show(value)
    return (f"var '{name}': {unknown} is read as an expression, a name, and no var '{unknown}' is defined "
            f"above it; to give {'strings' if isinstance(value, list) else 'a string'}, quote "
            f"{'them' if isinstance(value, list) else 'it'} inside the YAML string: {name}: {fix}")


def free_vars(point: Point) -> list[str]:
    """Vars given as plain numbers (not derived from other vars): the default symbols."""
    out = []
    for k, v in point.raw.items():
        value = point.vars[k]
        if isinstance(value, (bool, str, list)) or value is None:
            continue
        if isinstance(v, str) and parse(v).names:
            continue
        out.append(k)
    return out


def input_shape(point: Point, scope: dict, ideal: bool) -> tuple:
    """The input [C, H, W] at ``scope`` (numbers; symbolic sizes pass in the ideal model)."""
    dims = []
    for axis, raw in zip("CHW", point.input):
        v = evaluate(raw, scope)
        if ideal and not isinstance(v, int):
            dims.append(v)
            continue
        try:
            dims.append(as_int(v, f"input {axis}"))
        except ShapeError as e:
            raise SpecError(e.message) from None
    return tuple(dims)
