"""Ground floor: the few value helpers every layer uses, on Python numbers and sympy alike.

Nothing here imports the rest of archcalc but ``errors`` (and sympy is never imported:
a value is symbolic when its type comes from sympy).

>>> numel((3, 4, 5)), div(12, 4), as_pair(3, "kernel_size")
(60, 3, (3, 3))
>>> is_symbolic(7)
False
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from archcalc.errors import ShapeError


def is_symbolic(x: Any) -> bool:
    """True when ``x`` is a sympy object with free symbols (or a relational).

    Sums, products and powers have the free symbols of their arguments and bind none: they
    are searched argument by argument and stop at the first symbol (``free_symbols`` builds
    the whole set, every call; ~10 % of a symbolic DenseNet analysis)."""
    if type(x) in _PLAIN:  # the common case, first
        return False
    mod = type(x).__module__
    if not mod.startswith("sympy"):
        return False
    if getattr(x, "is_Number", False):
        return False
    if getattr(x, "is_Symbol", False):
        return True
    if getattr(x, "is_Add", False) or getattr(x, "is_Mul", False) or getattr(x, "is_Pow", False):
        return any(is_symbolic(a) for a in x.args)
    return bool(getattr(x, "free_symbols", ()))


_PLAIN = frozenset({int, float, bool, str, tuple, list, type(None), Fraction})


def numel(shape: tuple):
    """Number of elements of a per-sample shape.

    >>> numel((3, 4, 5))
    60
    """
    n = 1
    for d in shape:
        n = n * d
    return n


def div(a, b):
    """Exact quotient on ints (already checked to divide) and sympy alike."""
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    return a / b


def as_int(value, what: str, *, minimum: int = 1):
    """Check that a resolved value is an integer >= minimum (sympy passes unchecked)."""
    if type(value) is int and value >= minimum:  # the common case, first
        return value
    if is_symbolic(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Fraction, float)):
        raise ShapeError(f"{what} must be an integer, got {value!r}")
    if isinstance(value, (Fraction, float)):
        if value != int(value):
            raise ShapeError(
                f"{what} = {_show(value)} is not an integer; round it explicitly in the spec "
                f"(round(...), int(...), floor(...) or make_divisible(...))"
            )
        value = int(value)
    if value < minimum:
        raise ShapeError(f"{what} must be >= {minimum}, got {value}")
    return value


def as_pair(value, what: str, *, minimum: int = 1) -> tuple:
    """An int or a two-element list, as a (height, width) pair of checked ints."""
    if isinstance(value, list):
        if len(value) != 2:
            raise ShapeError(f"{what} must be an integer or a pair [h, w], got {value!r}")
        return (as_int(value[0], what, minimum=minimum), as_int(value[1], what, minimum=minimum))
    v = as_int(value, what, minimum=minimum)
    return (v, v)


def _show(v) -> str:
    if isinstance(v, Fraction):
        return f"{v} (= {float(v):.6g})"
    return repr(v)
