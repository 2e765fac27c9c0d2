"""Spec expressions: a small whitelisting parser, never ``eval``.

An expression such as ``make_divisible(32 * alpha, 8)`` or
``2 if i == 0 else 1`` is parsed with Python's ``ast`` module and every node
is checked against a whitelist: names, numbers, strings, lists, indexing,
``+ - * / // ** %``, comparisons, ``and``/``or``/``not``, ``a if c else b``
and the functions in ``FUNCTIONS``. Anything else (attributes, lambdas,
comprehensions, keyword tricks, ``__import__``) is a clear error.

Two evaluation modes share the same tree:

* **numeric** — Python ints and exact ``Fraction``s (``6/7`` stays 6/7; a
  decimal literal ``0.75`` is the fraction 3/4). Only an irrational power
  (``1.2 ** 0.5``) falls back to float. sympy is never imported.
* **symbolic** (the *ideal model* of DESIGN.md) — names bound to sympy
  symbols; ``floor``/``ceil``/``round``/``int``/``make_divisible`` are the
  identity, ``//`` is ``/``, ``min``/``max`` become ``Min``/``Max`` and a
  conditional on a symbol becomes ``Piecewise``.

>>> evaluate("make_divisible(32 * alpha, 8)", {"alpha": Fraction(3, 4)})
24
>>> evaluate("224 * rho", {"rho": parse_value("6/7")})
192
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction
from functools import lru_cache
from typing import Any, Callable, Mapping

from archcalc.errors import ExprError, StructuralSymbolError
from archcalc.values import is_symbolic  # noqa: F401 (re-exported)

MAX_EXPR_CHARS = 2000
MAX_EXPR_NODES = 400
MAX_INT_BITS = 256
MAX_LIST_LEN = 10_000

Value = Any  # int | Fraction | float | bool | str | list | sympy.Expr


# ---------------------------------------------------------------- helpers --
def _sympy():
    import sympy

    return sympy


def free_names(x: Value) -> frozenset[str]:
    """Names of the sympy symbols in ``x`` (empty for plain numbers)."""
    if isinstance(x, list):
        return frozenset().union(*(free_names(v) for v in x)) if x else frozenset()
    if type(x).__module__.startswith("sympy"):
        return frozenset(s.name for s in x.free_symbols)
    return frozenset()


def normalize(x: Value) -> Value:
    """Exact numbers in their simplest Python form: Fraction(4, 1) -> 4, sympy 4 -> 4."""
    if isinstance(x, bool) or isinstance(x, (int, str)):
        return x
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else x
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ExprError(f"the value {x} is not finite")
        return x
    if type(x).__module__.startswith("sympy"):
        sp = _sympy()
        if x.is_Integer:
            return int(x)
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
        if x.is_Float:
            return float(x)
        if x in (sp.true, sp.false):
            return bool(x)
    return x


MAX_SYM_TERMS = 64  #: symbolic mode: terms of one expression once expanded (``(a+b+c+d+1)**6``: 210)
MAX_SYM_DEGREE = 32  #: symbolic mode: polynomial degree of one expression
MAX_SYM_NODES = 300  #: symbolic mode: parts of one expression's sympy tree


def _sym_degree(x, budget: list) -> int:
    """An upper bound on ``x``'s polynomial degree in its symbols, walking at most ``budget`` nodes."""
    budget[0] -= 1
    if budget[0] < 0:
        return MAX_SYM_DEGREE + 1 << 20  # too big to walk: refused as too large
    if x.is_Symbol:
        return 1
    if x.is_Number or not x.args:
        return 0
    if x.is_Mul:
        return sum(_sym_degree(a, budget) for a in x.args)
    if x.is_Pow:
        base, exp = x.args
        d = _sym_degree(base, budget)
        if exp.is_Integer:
            return d * abs(int(exp))
        return d + _sym_degree(exp, budget) if d else _sym_degree(exp, budget)
    return max(_sym_degree(a, budget) for a in x.args)


def _sym_terms(x) -> int:
    """An estimate of the terms of ``x`` expanded (multinomial count for a power of a sum)."""
    if x.is_Add:
        return sum(_sym_terms(a) for a in x.args)
    if x.is_Mul:
        n = 1
        for a in x.args:
            n *= _sym_terms(a)
            if n > MAX_SYM_TERMS:
                return n
        return n
    if x.is_Pow:
        base, exp = x.args
        t = _sym_terms(base)
        if exp.is_Integer and int(exp) > 1 and t > 1:
            return math.comb(min(int(exp), 1024) + t - 1, t - 1)
        return t
    return 1


def _check_symbolic(x, text: str):
    if not getattr(x, "free_symbols", None):
        return x
    budget = [MAX_SYM_NODES]
    d = _sym_degree(x, budget)
    if budget[0] >= 0:
        terms = _sym_terms(x)
        if terms > MAX_SYM_TERMS:
            raise ExprError.naming("expression '{text}' expands to about {terms:,} terms in its symbols (the limit "
                                   "is {limit}); give its vars numeric values (fewer {symbols})", "symbols",
                                   text=_clip(text), terms=terms, limit=MAX_SYM_TERMS)
    if budget[0] < 0:
        raise ExprError.naming("expression '{text}' is too large symbolically (over {limit} parts); give its "
                               "vars numeric values (fewer {symbols})", "symbols", text=_clip(text), limit=MAX_SYM_NODES)
    if d > MAX_SYM_DEGREE:
        raise ExprError.naming("expression '{text}' has degree {d} in its symbols (the limit is {limit}); give "
                               "its vars numeric values (fewer {symbols})", "symbols", text=_clip(text), d=d,
                               limit=MAX_SYM_DEGREE)
    return x


def _check_size(x: Value, text: str) -> Value:
    if isinstance(x, bool):
        return x
    if type(x).__module__.startswith("sympy"):
        return _check_symbolic(x, text)
    if isinstance(x, int) and x.bit_length() > MAX_INT_BITS:
        raise ExprError(f"expression '{text}' produces a number too large (over 2**{MAX_INT_BITS})")
    if isinstance(x, Fraction) and (
        x.numerator.bit_length() > MAX_INT_BITS or x.denominator.bit_length() > MAX_INT_BITS
    ):
        raise ExprError(f"expression '{text}' produces a fraction too large to be a size")
    if isinstance(x, float) and not math.isfinite(x):
        raise ExprError(f"expression '{text}' produces a non-finite number")
    return x


def _min_pow_bits(a, b: int) -> int:
    """A lower bound on the bits of ``a ** b``'s numerator or denominator (cheap, no power taken).

    >>> _min_pow_bits(2, 255), _min_pow_bits(Fraction(1, 2), 5)
    (256, 6)
    """
    if isinstance(a, Fraction):
        bits = max(abs(a.numerator).bit_length(), a.denominator.bit_length())
    elif isinstance(a, float):
        return 0  # a float power only overflows to inf, which _check_size catches
    else:
        bits = abs(a).bit_length()
    return (bits - 1) * b + 1 if bits else 0


def _deep_len(x: Value) -> int:
    """Elements of a (nested) list, counted through every level (a number counts 1)."""
    return sum(_deep_len(v) for v in x) if isinstance(x, list) else 1


def _to_sym(x: Value):
    sp = _sympy()
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, bool):
        return sp.true if x else sp.false
    return sp.sympify(x) if isinstance(x, (int, float)) else x


def _any_sym(*xs) -> bool:
    return any(type(x).__module__.startswith("sympy") for x in xs)


def _logic(x: Value, text: str) -> Value:
    """A symbolic truth value must be a relation (alpha < 1); a bare number-symbol is structural."""
    from sympy.core.relational import Relational
    from sympy.logic.boolalg import BooleanFunction

    if is_symbolic(x) and not isinstance(x, (Relational, BooleanFunction)):
        raise StructuralSymbolError(
            f"'{text}' uses symbolic {sorted(free_names(x))} as a truth value", free_names(x)
        )
    return _to_sym(x)


def _num(x: Value, text: str) -> Value:
    if isinstance(x, (list, str)):
        raise ExprError(f"expression '{text}': expected a number, got {x!r}")
    return x


# -------------------------------------------------------------- functions --
def _truthy(c: Value, text: str) -> bool:
    """A truth value: a boolean (``1``, ``0.5`` or ``[0]`` is not one -- no Python truthiness)."""
    if is_symbolic(c):
        raise StructuralSymbolError(
            f"condition in '{text}' depends on symbolic {sorted(free_names(c))}",
            free_names(c),
        )
    c = normalize(c) if type(c).__module__.startswith("sympy") else c
    if not isinstance(c, bool):
        raise ExprError(f"'{_clip(text)}' must be true or false, got {_clip(repr(c))} "
                        "(write a comparison such as 'x > 0')")
    return c


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def make_divisible(v, divisor=8, min_value=None, round_limit=Fraction(9, 10)):
    """Round ``v`` to the nearest multiple of ``divisor``, never below 90 % of ``v``.

    This is MobileNetV2's / EfficientNet's ``round_filters`` rule.

    >>> make_divisible(Fraction(3, 4) * 32)
    24
    >>> make_divisible(Fraction(35, 100) * 16)
    8
    """
    if _any_sym(v, divisor):
        return v  # ideal model: channels are unrounded
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + Fraction(divisor) / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


MAX_NDIGITS = 64  #: round(x, ndigits): |ndigits| at most this (a huge ndigits is unbounded work)


def _round(x, ndigits=None):
    if ndigits is not None and (
        isinstance(ndigits, bool) or not isinstance(ndigits, int) or abs(ndigits) > MAX_NDIGITS
    ):
        raise ValueError(f"ndigits must be an integer from -{MAX_NDIGITS} to {MAX_NDIGITS}, got {ndigits!r}")
    if _any_sym(x):
        return x
    return round(x) if ndigits is None else round(x, ndigits)


def _floor(x):
    return x if _any_sym(x) else math.floor(x)


def _ceil(x):
    return x if _any_sym(x) else math.ceil(x)


def _int(x):
    return x if _any_sym(x) else int(x)


def _sym_minmax(cls, args: list):
    """``Min``/``Max`` of symbolic arguments without sympy's evaluation (``_find_localzeros``
    and ``factor_terms`` on every construction were ~20 % of a symbolic analysis). Numeric
    arguments are folded into one here; the symbolic ones are kept as given, so an ideal-model
    formula such as ``Max(1, c*w/4)`` is the same expression sympy would build, and one that
    sympy could have decided (``Max(1, x + 1)`` for positive ``x``) stays equal, unsimplified."""
    nums = [a for a in args if a.is_Number]
    rest = list(dict.fromkeys(a for a in args if not a.is_Number))
    if nums:
        rest.append(max(nums) if cls.__name__ == "Max" else min(nums))
    return rest[0] if len(rest) == 1 else cls(*rest, evaluate=False)


def _minmax(which: str) -> Callable:
    def f(*args):
        if len(args) == 1 and isinstance(args[0], list):
            args = tuple(args[0])
        if not args:
            raise ExprError(f"{which}() needs at least one argument")
        if _any_sym(*args):
            sp = _sympy()
            return _sym_minmax(sp.Min if which == "min" else sp.Max, [_to_sym(a) for a in args])
        return (min if which == "min" else max)(args)

    return f


def _len(x):
    if not isinstance(x, list):
        raise ExprError(f"len() needs a list, got {x!r}")
    return len(x)


def _sum(x):
    if not isinstance(x, list):
        raise ExprError(f"sum() needs a list, got {x!r}")
    return sum(x)


FUNCTIONS: dict[str, Callable] = {
    "min": _minmax("min"),
    "max": _minmax("max"),
    "ceil": _ceil,
    "floor": _floor,
    "round": _round,
    "int": _int,
    "make_divisible": make_divisible,
    "len": _len,
    "sum": _sum,
}
KEYWORDS_ALLOWED = {"make_divisible": {"divisor", "min_value", "round_limit"}}
#: functions whose arguments must be numbers (``int('3')`` is not a size)
NUMERIC_ARGS = frozenset({"ceil", "floor", "round", "int", "make_divisible"})


# ----------------------------------------------------------------- parser --
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow, ast.Mod)
_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_ALLOWED = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp,
    ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.Subscript, ast.Call,
    ast.keyword, ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, *_BINOPS, *_CMPOPS,
)


_MISSING = object()
#: spelled as names, evaluated as booleans without a scope lookup (see ``_Evaluator.v_Name``)
_LITERALS = frozenset({"True", "False", "true", "false"})
#: distinct name-value combinations kept per expression
_MEMO_SIZE = 64


def _copy_lists(v: list) -> list:
    return [_copy_lists(x) if type(x) is list else x for x in v]


class Expr:
    """A parsed, whitelisted expression; call :meth:`eval` with a scope."""

    __slots__ = ("text", "tree", "names", "_order", "_memo")

    def __init__(self, text: str, tree: ast.Expression):
        self.text = text
        self.tree = tree
        self.names = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
        # the names whose scope values it reads: not a called function's name, not a literal
        funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        self._order = tuple(sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                                    and id(n) not in funcs and n.id not in _LITERALS}))
        self._memo: dict = {}

    def eval(self, scope: Mapping[str, Value]) -> Value:
        # The value depends on nothing but the values of the names it reads, so it is kept per
        # (type, value) of each: a spec evaluates the same few expressions with the same values
        # in every block of a stage. ``True == 1`` and ``2 == 2.0`` hash alike, hence the types.
        # Unhashable values (lists) are evaluated every time; a list result is handed out as a
        # copy, and an error is raised again on every call (nothing is kept).
        try:
            key = tuple([(type(v), v) for v in [scope[n] for n in self._order]])
            hit = self._memo.get(key, _MISSING)
        except (KeyError, TypeError):  # an unknown name (the evaluator says which), a list
            return normalize(_Evaluator(self.text, scope).visit(self.tree.body))
        if hit is _MISSING:
            hit = normalize(_Evaluator(self.text, scope).visit(self.tree.body))
            if len(self._memo) < _MEMO_SIZE:
                self._memo[key] = hit
        return _copy_lists(hit) if type(hit) is list else hit

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


@lru_cache(maxsize=8192)
def parse(text: str) -> Expr:
    """Parse and whitelist ``text``; raise ``ExprError`` naming what is not allowed.

    >>> parse("2 if i == 0 else 1").names == {"i"}
    True
    >>> parse("__import__('os')")
    Traceback (most recent call last):
    ...
    archcalc.errors.ExprError: expression "__import__('os')": function '__import__' is not allowed; allowed: ceil, floor, int, len, make_divisible, max, min, round, sum
    """
    if len(text) > MAX_EXPR_CHARS:
        raise ExprError(f"expression is {len(text)} characters long; the limit is {MAX_EXPR_CHARS}")
    # A YAML string may span lines ("a +\n b"): whitespace is collapsed, so a long expression can
    # be folded, and every message quotes it on one line.
    text = " ".join(text.split())
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f'expression "{text}" is not valid: {e.msg}') from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError(f'expression "{text[:60]}..." is nested too deeply') from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_EXPR_NODES:
        raise ExprError(f"expression has {len(nodes)} parts; the limit is {MAX_EXPR_NODES}")
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            raise ExprError(f'expression "{text}": {_describe(node)} is not allowed')
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ExprError(f'expression "{text}": name \'{node.id}\' is not allowed')
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                fname = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ExprError(
                    f'expression "{text}": function \'{fname}\' is not allowed; '
                    f"allowed: {', '.join(sorted(FUNCTIONS))}"
                )
            allowed_kw = KEYWORDS_ALLOWED.get(node.func.id, set())
            for kw in node.keywords:
                if kw.arg not in allowed_kw:
                    raise ExprError(f'expression "{text}": {node.func.id}() takes no keyword {kw.arg!r}')
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool)):
            raise ExprError(f'expression "{text}": constant {node.value!r} is not allowed')
    return Expr(text, tree)


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access ('.')", ast.Lambda: "lambda",
        ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator",
        ast.Dict: "a dict", ast.Set: "a set", ast.Starred: "'*' unpacking",
        ast.NamedExpr: "':='", ast.JoinedStr: "an f-string",
    }
    return names.get(type(node), f"'{type(node).__name__}'")


class _Evaluator:
    def __init__(self, text: str, scope: Mapping[str, Value]):
        self.text = text
        self.scope = scope

    def visit(self, node: ast.AST) -> Value:
        return getattr(self, "v_" + type(node).__name__)(node)

    def v_Constant(self, node):
        v = node.value
        if isinstance(v, float):
            return _check_size(Fraction(repr(v)) if math.isfinite(v) else v, self.text)
        if isinstance(v, int):
            return _check_size(v, self.text)
        return v

    def v_Name(self, node):
        if node.id in _LITERALS:  # YAML's spelling too
            return node.id in ("True", "true")
        try:
            return self.scope[node.id]
        except KeyError:
            known = ", ".join(sorted(k for k in self.scope if not k.startswith("_")))
            raise ExprError(
                f"expression '{self.text}': unknown name '{node.id}'; "
                + (f"known names here: {known}" if known else "no names are defined here")
            ) from None

    def v_List(self, node):
        return self._list([self.visit(e) for e in node.elts])

    def _list(self, items: list) -> list:
        """A list result, within MAX_LIST_LEN elements counted through nested lists."""
        if _deep_len(items) > MAX_LIST_LEN:
            raise ExprError(f"expression '{self.text}': list too long (over {MAX_LIST_LEN} elements)")
        return items

    v_Tuple = v_List

    def v_Subscript(self, node):
        seq = self.visit(node.value)
        idx = self.visit(node.slice)
        if not isinstance(seq, list):
            raise ExprError(f"expression '{self.text}': only lists can be indexed, got {seq!r}")
        if is_symbolic(idx):
            raise StructuralSymbolError(
                f"list index in '{self.text}' depends on symbolic {sorted(free_names(idx))}",
                free_names(idx),
            )
        idx = normalize(idx)
        if not isinstance(idx, int) or isinstance(idx, bool):
            raise ExprError(f"expression '{self.text}': list index must be an integer, got {idx!r}")
        if not -len(seq) <= idx < len(seq):
            raise ExprError(
                f"expression '{self.text}': index {idx} is out of range for a list of {len(seq)}"
            )
        return seq[idx]

    def v_UnaryOp(self, node):
        v = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            if is_symbolic(v):
                return _sympy().Not(_logic(v, self.text))
            return not _truthy(v, self.text)
        v = _num(v, self.text)
        return -v if isinstance(node.op, ast.USub) else +v

    def v_BinOp(self, node):
        a, b = self.visit(node.left), self.visit(node.right)
        op = node.op
        if isinstance(a, list) or isinstance(b, list):
            if isinstance(op, ast.Add) and isinstance(a, list) and isinstance(b, list):
                return self._list(a + b)
            if isinstance(op, ast.Mult) and isinstance(a, list) and isinstance(b, int) \
                    and not isinstance(b, bool):
                if _deep_len(a) * b > MAX_LIST_LEN:
                    raise ExprError(f"expression '{self.text}': list too long (over {MAX_LIST_LEN} elements)")
                return a * b
            raise ExprError(f"expression '{self.text}': arithmetic on a list is not allowed")
        a, b = _num(a, self.text), _num(b, self.text)
        sym = _any_sym(a, b)
        if sym:
            a, b = _to_sym(a), _to_sym(b)
        try:
            if isinstance(op, ast.Add):
                r = a + b
            elif isinstance(op, ast.Sub):
                r = a - b
            elif isinstance(op, ast.Mult):
                r = a * b
            elif isinstance(op, ast.Div):
                if b == 0:
                    raise ZeroDivisionError
                r = a / b if sym or isinstance(a, float) or isinstance(b, float) else Fraction(a) / Fraction(b)
            elif isinstance(op, ast.FloorDiv):
                if b == 0:
                    raise ZeroDivisionError
                r = a / b if sym else a // b  # ideal model: floor is the identity
            elif isinstance(op, ast.Mod):
                if sym:
                    raise StructuralSymbolError(
                        f"'%' in '{self.text}' cannot take a symbolic operand",
                        free_names(a) | free_names(b),
                    )
                r = a % b
            else:
                r = self._pow(a, b, sym)
        except ZeroDivisionError:
            raise ExprError(f"expression '{self.text}': division by zero") from None
        except OverflowError:
            raise ExprError(f"expression '{self.text}': number too large") from None
        return _check_size(r, self.text)

    def _pow(self, a, b, sym):
        if sym:
            return a**b
        if isinstance(b, int) and not isinstance(b, bool):
            if abs(b) > 1024 or _min_pow_bits(a, abs(b)) > MAX_INT_BITS + 1:
                raise ExprError(f"expression '{self.text}': power {b} is too large")
            if a == 0 and b < 0:
                raise ZeroDivisionError
            return Fraction(a) ** b if b < 0 else a**b
        if isinstance(b, Fraction) and b.denominator == 1:
            return self._pow(a, b.numerator, sym)
        if abs(b) > 1024 or abs(a) > 2**64:
            raise ExprError(f"expression '{self.text}': power is too large")
        if a < 0:
            raise ExprError(f"expression '{self.text}': negative base with fractional power")
        return float(a) ** float(b)  # irrational in general: the one inexact path

    def v_BoolOp(self, node):
        vals = [self.visit(v) for v in node.values]
        if any(is_symbolic(v) for v in vals):
            sp = _sympy()
            return (sp.And if isinstance(node.op, ast.And) else sp.Or)(*[_logic(v, self.text) for v in vals])
        vals = [_truthy(v, self.text) for v in vals]
        if isinstance(node.op, ast.And):
            return all(vals)
        return any(vals)

    def v_Compare(self, node):
        left = self.visit(node.left)
        results = []
        for op, right_node in zip(node.ops, node.comparators):
            right = self.visit(right_node)
            results.append(self._compare(op, left, right))
            left = right
        if len(results) == 1:
            return results[0]
        if any(is_symbolic(r) for r in results):
            return _sympy().And(*results)
        return all(results)

    def _compare(self, op, a, b):
        if _any_sym(a, b) and not isinstance(a, (str, list)) and not isinstance(b, (str, list)):
            sp = _sympy()
            a, b = _to_sym(a), _to_sym(b)
            rel = {ast.Eq: sp.Eq, ast.NotEq: sp.Ne, ast.Lt: sp.Lt, ast.LtE: sp.Le,
                   ast.Gt: sp.Gt, ast.GtE: sp.Ge}[type(op)]
            return rel(a, b)
        try:
            if isinstance(op, ast.Eq):
                return a == b
            if isinstance(op, ast.NotEq):
                return a != b
            if isinstance(op, ast.Lt):
                return a < b
            if isinstance(op, ast.LtE):
                return a <= b
            if isinstance(op, ast.Gt):
                return a > b
            return a >= b
        except TypeError:
            raise ExprError(f"expression '{self.text}': cannot compare {a!r} and {b!r}") from None

    def v_IfExp(self, node):
        c = self.visit(node.test)
        if is_symbolic(c):
            c = _logic(c, self.text)
            a, b = self.visit(node.body), self.visit(node.orelse)
            sp = _sympy()
            return sp.Piecewise((_to_sym(a), c), (_to_sym(b), True))
        return self.visit(node.body) if _truthy(c, self.text) else self.visit(node.orelse)

    def v_Call(self, node):
        f = FUNCTIONS[node.func.id]
        args = [self.visit(a) for a in node.args]
        kwargs = {kw.arg: self.visit(kw.value) for kw in node.keywords}
        if node.func.id in NUMERIC_ARGS:
            for v in (*args, *kwargs.values()):
                _num(v, self.text)
        try:
            return _check_size(f(*args, **kwargs), self.text)
        except (TypeError, ValueError, OverflowError) as e:
            raise ExprError(f"expression '{self.text}': {node.func.id}(): {e}") from None
        except ZeroDivisionError:
            raise ExprError(f"expression '{self.text}': division by zero") from None


# ---------------------------------------------------------------- public --
def evaluate(value: Value, scope: Mapping[str, Value]) -> Value:
    """Evaluate a spec value: a string is an expression, a list is evaluated item by item.

    >>> evaluate("[2 * i for i in x]", {})
    Traceback (most recent call last):
    ...
    archcalc.errors.ExprError: expression "[2 * i for i in x]": a comprehension is not allowed
    >>> evaluate([1, "2 * k"], {"k": 3})
    [1, 6]
    """
    if isinstance(value, str):
        return parse(value).eval(scope)
    if isinstance(value, list):
        return [evaluate(v, scope) for v in value]
    if isinstance(value, float):
        return normalize(Fraction(repr(value)))
    return value


def parse_value(text: str) -> Value:
    """Parse a command-line value (``3/4``, ``6/7``, ``2*64``, ``[1, 2]``) with no names in scope.

    >>> parse_value("6/7")
    Fraction(6, 7)
    """
    return evaluate(text, {})


def condition(value: Value, scope: Mapping[str, Value]) -> bool:
    """Evaluate an ``if:`` condition; a symbolic condition is a structural error."""
    v = evaluate(value, scope)
    text = value if isinstance(value, str) else repr(value)
    return _truthy(v, text)
