"""Where a spec is evaluated: a variant, var overrides and the input shape -> a Point.

Vars are evaluated in order (a var may use earlier ones); a variant presets
some, the command line overrides any (strings are parsed exactly, ``6/7``).
``--resolution`` sets the ``resolution`` var, or else the input's H and W.
Symbolic analysis re-evaluates the vars with symbols bound (``evaluate_vars``).

>>> from archcalc.api import load
>>> resolve(load("mobilenet"), vars={"rho": "6/7"}).vars["rho"]
Fraction(6, 7)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archcalc.errors import ShapeError, SpecError
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


def resolve(loaded: LoadedSpec, variant: str | None = None, vars: dict[str, Any] | None = None,
            resolution: Any = None, where: dict[str, Any] | None = None) -> Point:
    """Merge base vars, a variant's preset and overrides (strings are parsed exactly).

    An override keeps its var's kind (a boolean var takes true/false only, a number var a
    number); ``where`` maps an override to the ``Loc`` its errors are blamed on (a reference
    entry's ``vars:`` line), else they are the command line's.
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
            raise SpecError(f"{spec.name} has no variant '{variant}' (variants: {known})", src.loc())
        for k, v in spec.variants[variant].items():
            if k not in spec.vars:
                raise SpecError(
                    f"variant '{variant}' sets '{k}', which is not in vars: "
                    f"({', '.join(spec.vars)}); declare it under vars:",
                    src.loc(("variants", variant, k)),
                )
            raw[k] = v
    overrides = dict(vars or {})
    base = dict(raw)  # the spec's (and variant's) values, before the overrides
    shape_override = None
    if resolution is not None:
        if "resolution" in spec.vars:
            if "resolution" in overrides:
                raise SpecError(
                    f"--resolution {resolution} and --set resolution={overrides['resolution']} both set "
                    "the var 'resolution'; give one")
            overrides["resolution"] = resolution
        else:
            shape_override = resolution
    for k, v in overrides.items():
        if k not in spec.vars:
            raise SpecError(
                f"{spec.name} has no var '{k}' (its vars: {', '.join(spec.vars) or 'none'})", src.loc()
            )
        raw[k] = v
    inp = list(spec.input)
    if len(inp) != 3:
        raise SpecError(f"input must be [C, H, W], got {inp!r}", src.loc(("input",)))
    if shape_override is not None:
        used = set().union(*(parse(d).names for d in inp[1:] if isinstance(d, str)))
        clash = sorted(used & set(overrides))
        if clash:
            raise SpecError(
                f"--resolution replaces the input size {inp[1]!r}, so setting {', '.join(clash)} would "
                f"have no effect on it; give either --resolution or {', '.join(clash)}", src.loc(("input",))
            )
        r = parse_value(shape_override) if isinstance(shape_override, str) else shape_override
        inp = [inp[0], r, r]
    values = evaluate_vars(loaded, raw, where=where)
    _check_kinds(loaded, base, overrides, values, where or {})
    return Point(variant, values, inp, raw)


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
            raise SpecError(
                f"{who}: '{k}' is {_kind(was)} in {loaded.spec.name} ({spec_value}), so it cannot "
                f"be set to {_kind(now)}", where.get(k))


def parse_overrides(sets: list[str] | None, **shorthands: str | None) -> dict[str, str]:
    """``NAME=VALUE`` items plus shorthand options (``alpha=``) as overrides; a name set twice is an error.

    >>> parse_overrides(["alpha=3/4", "rho=6/7"])
    {'alpha': '3/4', 'rho': '6/7'}
    >>> parse_overrides(["alpha=0.75"], alpha="0.5")
    Traceback (most recent call last):
    ...
    archcalc.errors.SpecError: --alpha 0.5 and --set alpha=0.75 both set 'alpha'; give one
    """
    out: dict[str, str] = {}
    for item in sets or []:
        name, eq, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            raise SpecError(f"--set expects NAME=VALUE, got '{item}'")
        if name in out:
            raise SpecError(f"--set {name}={out[name]} and --set {name}={value} both set '{name}'; give one")
        out[name] = value
    for name, value in shorthands.items():
        if value is None:
            continue
        if name in out:
            raise SpecError(f"--{name} {value} and --set {name}={out[name]} both set '{name}'; give one")
        out[name] = value
    return out


def evaluate_vars(loaded: LoadedSpec, raw: dict[str, Any], bound: dict[str, Any] | None = None,
                  numeric: dict[str, Any] | None = None, where: dict[str, Any] | None = None) -> dict:
    """Evaluate vars in order (a var may use earlier ones); ``bound`` names take fixed values.

    Symbolic analysis binds symbols here, so that derived vars (``width_mult: beta ** phi``)
    become formulas in them. A derived var that is a truth value, string or list at the
    numeric point (``widened: "widen != 1"``) is structure: it keeps its ``numeric`` value.
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
