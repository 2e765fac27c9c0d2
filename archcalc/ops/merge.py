"""Ops with several inputs: add (residual sum), concat (channels), mul (gating).

add: all inputs have the same shape; ``n - 1`` adds per output element.
concat: the inputs agree on H and W; channels add up; free.
mul: elementwise product; a ``[C, 1, 1]`` input broadcasts over ``[C, H, W]``
(squeeze-and-excitation scaling); 1 mul per output element.

>>> from archcalc.ops.base import Ctx
>>> Mul(op="mul").output_shape([(64, 14, 14), (64, 1, 1)], Ctx())
(64, 14, 14)
"""


from typing import ClassVar, Literal

from archcalc.errors import ShapeError
from archcalc.ops.base import Op, numel
from archcalc.values import is_symbolic


def _same(a, b) -> bool:
    """Equal sizes. Symbolic sizes of the ideal model are rational functions: structural
    equality decides at once (the usual case); a difference that is a nonzero number at one
    positive point of the symbols cannot be identically zero (the usual unequal case, an SE
    gate's ``1`` against a map's height; exact rationals, no rounding); otherwise an
    expanded zero difference, and only then ``cancel`` (slow)."""
    if is_symbolic(a) or is_symbolic(b):
        if a == b:
            return True
        import sympy

        if _differ_at_a_point(a, b):
            return False
        d = sympy.expand(a - b)
        return d == 0 or sympy.cancel(d) == 0
    return a == b


def _differ_at_a_point(a, b) -> bool:
    """``a - b`` evaluates to a nonzero finite number with every symbol replaced by a
    (distinct, positive) rational: then ``a`` and ``b`` are different functions. A symbol
    in an exponent (EfficientNet's ``gamma**phi``) gets an integer, so that the powers stay
    rational (at a fraction the difference is irrational and went on to ``cancel``)."""
    import sympy

    syms = set(getattr(a, "free_symbols", ())) | set(getattr(b, "free_symbols", ()))
    exps = {s for e in (a, b) if isinstance(e, sympy.Basic) for p in e.atoms(sympy.Pow)
            if not p.exp.is_Number for s in p.exp.free_symbols}
    at = {s: sympy.Integer(2 + i) if s in exps else sympy.Rational(_PROBE[i % len(_PROBE)], 97 + i)
          for i, s in enumerate(sorted(syms, key=str))}
    d = sympy.sympify(a).xreplace(at) - sympy.sympify(b).xreplace(at)
    return bool(d.is_Rational) and d != 0


#: numerators of the probe point's coordinates (primes; the denominators are 97, 98, ...)
_PROBE = (1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049, 1051, 1061, 1063, 1069)


def _fmt(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


class Add(Op):
    """Elementwise sum of two or more tensors of one shape (a residual connection)."""

    op: Literal["add"]
    kind: ClassVar[str] = "merge"
    example: ClassVar[tuple] = ({}, ((3, 4, 4), (3, 4, 4)))
    arity: ClassVar = (2, None)

    def output_shape(self, ins, ctx):
        first = ins[0]
        for other in ins[1:]:
            if len(other) != len(first) or not all(_same(a, b) for a, b in zip(first, other)):
                raise ShapeError(
                    f"add: input shapes differ ({_fmt(first)} vs {_fmt(other)}); "
                    "use equal shapes or a 1x1 conv2d (with stride) on the shortcut"
                )
        return first

    def flops(self, ins, out):
        return {"add": (len(ins) - 1) * numel(out)}


class Concat(Op):
    """Concatenation along channels (DenseNet)."""

    op: Literal["concat"]
    kind: ClassVar[str] = "merge"
    example: ClassVar[tuple] = ({}, ((3, 4, 4), (2, 4, 4)))
    arity: ClassVar = (2, None)

    def output_shape(self, ins, ctx):
        first = ins[0]
        for other in ins[1:]:
            if len(other) != len(first) or not all(_same(a, b) for a, b in zip(first[1:], other[1:])):
                raise ShapeError(
                    f"concat: spatial sizes differ ({_fmt(first)} vs {_fmt(other)}); "
                    "concatenate maps of equal H and W"
                )
        c = 0
        for s in ins:
            c = c + s[0]
        return (c,) + tuple(first[1:])


class Mul(Op):
    """Elementwise product; a [C, 1, 1] gate broadcasts over H and W."""

    op: Literal["mul"]
    kind: ClassVar[str] = "merge"
    example: ClassVar[tuple] = ({}, ((3, 4, 4), (3, 1, 1)))
    arity: ClassVar = (2, 2)

    def output_shape(self, ins, ctx):
        a, b = ins
        if len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b)):
            return a
        for big, gate in ((a, b), (b, a)):
            if len(big) == 3 and len(gate) == 3 and _same(big[0], gate[0]) \
                    and _same(gate[1], 1) and _same(gate[2], 1):
                return big
        raise ShapeError(
            f"mul: shapes {_fmt(a)} and {_fmt(b)} do not broadcast; "
            "use equal shapes or a [C, 1, 1] gate over a [C, H, W] map"
        )

    def flops(self, ins, out):
        return {"mul": numel(out)}
