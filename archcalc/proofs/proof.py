"""A derivation as data: a claim, numbered steps, named results; four renderers.

A :class:`Proof` is what ``archcalc prove`` and ``archcalc homework`` print.
Each :class:`Step` is a sentence and (optionally) a sympy expression, an
equation, or a chain ``a = b = c`` (a tuple). ``holds`` is the outcome of the
checks (``simplify(lhs - rhs) == 0`` and numeric spot-checks) made while
deriving. Renderers: ``text`` (unicode math), ``markdown`` (``$$…$$``),
``latex`` (one ``align*`` per proof, text by ``\\intertext``) and ``json``
(``{"claim", "holds", "steps": [{"text", "expr"}], …named results}``).

>>> import sympy
>>> k = sympy.Symbol("k", positive=True)
>>> p = Proof("k² ≥ 0", [Step("square it", sympy.Eq(k**2, k * k))], holds=True)
>>> print(render(p, "text").splitlines()[2])
  1. square it
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archcalc.report.formats import check as check_format, dumps, names
from archcalc.report.tables import GREEK
from archcalc.report.tables import unicode_math as unicode_text

#: the registry's document formats, plain text named ``table`` as in every other command (``text`` is accepted)
FORMATS = tuple("table" if n == "text" else n for n in names(prose=True))

# Unicode that may appear in prose or table cells, as LaTeX (pdflatex has no unicode math).
_UNI_LATEX = {
    'α': '\\ensuremath{\\alpha}', 'β': '\\ensuremath{\\beta}', 'γ': '\\ensuremath{\\gamma}',
    'φ': '\\ensuremath{\\varphi}', 'ρ': '\\ensuremath{\\rho}', 'Φ': '\\ensuremath{\\Phi}',
    'π': '\\ensuremath{\\pi}', 'θ': '\\ensuremath{\\theta}', 'ℓ': '\\ensuremath{\\ell}',
    '·': '\\ensuremath{\\cdot}', '×': '\\ensuremath{\\times}', '≈': '\\ensuremath{\\approx}',
    '≤': '\\ensuremath{\\le}', '≥': '\\ensuremath{\\ge}', '−': '-', '→': '\\ensuremath{\\to}',
    '²': '\\ensuremath{^2}', '³': '\\ensuremath{^3}', '₀': '\\ensuremath{_0}',
    '√': '\\ensuremath{\\surd}', '∝': '\\ensuremath{\\propto}', '≠': '\\ensuremath{\\ne}',
    '±': '\\ensuremath{\\pm}', '–': '--', '—': '---', '✓': 'yes', '✗': 'no', '…': '\\ldots{}',
    '’': "'", 'Δ': '\\ensuremath{\\Delta}', 'σ': '\\ensuremath{\\sigma}',
    '∞': '\\ensuremath{\\infty}',
}


@dataclass
class Step:
    """One step: a sentence and an optional expression (sympy, equation, chain tuple or str)."""

    text: str
    expr: Any = None


@dataclass
class Table:
    """A table of numbers that backs a claim (cells are plain strings)."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class Proof:
    """A claim, its derivation, whether every check passed, and named results."""

    claim: str
    steps: list[Step]
    holds: bool
    results: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title: str = ""


# ------------------------------------------------------------ checking --
def equal(lhs, rhs) -> bool:
    """``simplify(lhs - rhs) == 0``: the sympy check every claim goes through.

    A difference that is ``0`` as it stands or after ``cancel`` (a rational function in its
    symbols and function terms) is zero for ``simplify`` too, and is decided without it:
    ``simplify`` is slow and imports ``sympy.physics.units`` (~30 % of ``import sympy``).
    Anything else goes to ``simplify``, so no verdict changes.

    >>> import sympy
    >>> x = sympy.Symbol("x", positive=True)
    >>> equal((x + 1) ** 2, x**2 + 2 * x + 1), equal(x, x + 1)
    (True, False)
    """
    import sympy

    d = sympy.sympify(lhs) - sympy.sympify(rhs)
    if d == 0 or sympy.cancel(d) == 0:
        return True
    return sympy.simplify(d) == 0


# ----------------------------------------------------------- rendering --
def render(proof: Proof, fmt: str = "table") -> str:
    """Render a proof as plain text (``table``; ``text`` is accepted too), markdown, latex or json."""
    fmt = "table" if fmt == "text" else fmt
    check_format(fmt, FORMATS)
    return {"table": to_text, "markdown": to_markdown, "latex": to_latex, "json": to_json}[fmt](proof)


def greek(name: str) -> str:
    """A var name as its Greek letter when it has one.

    >>> greek("alpha"), greek("width_mult")
    ('α', 'width_mult')
    """
    return GREEK.get(name, name)


def unicode_math(expr: Any) -> str:
    """A sympy expression on one line with unicode powers, ``·`` and Greek letters.

    >>> import sympy
    >>> a, k = sympy.symbols("alpha k")
    >>> unicode_math(3 * a**2 / k**2)
    '3·α²/k²'
    """
    if isinstance(expr, tuple):
        return " = ".join(unicode_math(e) for e in expr)
    if isinstance(expr, str):
        return expr
    import sympy

    if isinstance(expr, sympy.Equality):
        return f"{unicode_math(expr.lhs)} = {unicode_math(expr.rhs)}"
    return unicode_text(sympy.sstr(sympy.sympify(expr)))


def expr_string(expr: Any) -> str:
    """The sympy string of a step's expression (the JSON ``expr``); chains joined by `` = ``."""
    if expr is None:
        return ""
    if isinstance(expr, tuple):
        return " = ".join(expr_string(e) for e in expr)
    if isinstance(expr, str):
        return expr
    import sympy

    if isinstance(expr, sympy.Equality):
        return f"{sympy.sstr(expr.lhs)} = {sympy.sstr(expr.rhs)}"
    return sympy.sstr(sympy.sympify(expr))


def _verdict(proof: Proof) -> str:
    return "holds ✓ (checked by sympy and against the numeric engine)" if proof.holds else "DOES NOT HOLD ✗"


def _result_value(v: Any) -> Any:
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, dict):
        return {k: _result_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_result_value(x) for x in v]
    return expr_string(v)


def to_text(proof: Proof) -> str:
    """Plain text with unicode math."""
    from archcalc.report.tables import render as table

    out = [proof.title or "Proof", f"Claim: {proof.claim}"]
    for i, s in enumerate(proof.steps, 1):
        out.append(f"  {i}. {s.text}")
        if s.expr is not None:
            out.append(f"       {unicode_math(s.expr)}")
    for t in proof.tables:
        out += ["", t.title, table(t.headers, t.rows, "table")]
    out += [f"Result: {_verdict(proof)}"]
    out += [f"Note: {n}" for n in proof.notes]
    return "\n".join(out) + "\n"


def _latex_expr(expr: Any, aligned: bool) -> str:
    import sympy

    if isinstance(expr, str):
        return rf"\text{{{latex_text(expr)}}}" if not aligned else rf"&\text{{{latex_text(expr)}}}"
    parts = list(expr) if isinstance(expr, tuple) else [expr]
    if len(parts) == 1 and isinstance(parts[0], sympy.Equality):
        parts = [parts[0].lhs, parts[0].rhs]
    from archcalc.report.tables import latex_math

    tex = [p if isinstance(p, str) else latex_math(sympy.sympify(p)) for p in parts]
    if not aligned:
        return " = ".join(tex)
    if len(tex) == 1:
        return "&" + tex[0]
    return tex[0] + " &= " + " = ".join(tex[1:])


def to_markdown(proof: Proof) -> str:
    """Markdown: numbered steps with ``$$ … $$`` display math (LaTeX inside)."""
    from archcalc.report.tables import render as table

    out = [f"### {proof.title or 'Proof'}", "", f"**Claim.** {proof.claim}", ""]
    for i, s in enumerate(proof.steps, 1):
        out.append(f"{i}. {s.text}")
        if s.expr is not None:
            out += ["", f"   $$ {_latex_expr(s.expr, False)} $$", ""]
    for t in proof.tables:
        out += ["", f"**{t.title}**", "", table(t.headers, t.rows, "markdown"), ""]
    out += ["", f"**Result:** {_verdict(proof)}"]
    if proof.notes:
        out += [""] + [f"- *Note:* {n}" for n in proof.notes]
    return "\n".join(out) + "\n"


def latex_text(s: str) -> str:
    r"""Prose for LaTeX: special characters escaped, unicode math as LaTeX.

    >>> latex_text("50 % of α·N_1")
    '50 \\% of \\ensuremath{\\alpha}\\ensuremath{\\cdot}N\\_1'
    """
    s = (s.replace("\\", r"\textbackslash{}").replace("&", r"\&").replace("%", r"\%")
         .replace("#", r"\#").replace("_", r"\_").replace("{", r"\{").replace("}", r"\}")
         .replace("^", r"\^{}").replace("~", r"\~{}").replace("$", r"\$"))
    return _latex_unicode(s)


def to_latex(proof: Proof) -> str:
    """LaTeX: the derivation as one ``align*`` (prose via ``\\intertext``), tables in booktabs."""
    from archcalc.report.tables import render as table

    out = [rf"\subsection*{{{latex_text(proof.title or 'Proof')}}}",
           rf"\noindent\textbf{{Claim.}} {latex_text(proof.claim)}", r"\begin{align*}"]
    rows = []
    for i, s in enumerate(proof.steps, 1):
        rows.append(rf"\intertext{{{i}. {latex_text(s.text)}}}")
        if s.expr is not None:
            rows.append(_latex_expr(s.expr, True) + r" \\")
    out += rows + [r"\end{align*}"]
    for t in proof.tables:
        body = table(t.headers, t.rows, "latex")
        out += [rf"\paragraph{{{latex_text(t.title)}}}", "", _latex_unicode(body)]
    out.append(rf"\noindent\textbf{{Result:}} {latex_text(_verdict(proof))}")
    if proof.notes:
        out += [r"\begin{itemize}"] + [rf"\item {latex_text(n)}" for n in proof.notes] + [r"\end{itemize}"]
    return "\n".join(out) + "\n"


def _latex_unicode(s: str) -> str:
    """Unicode left in escaped LaTeX (prose or a rendered table) turned into LaTeX; the rest as ``?``."""
    return "".join(_UNI_LATEX.get(ch, ch) for ch in s).encode("ascii", "replace").decode("ascii")


def to_dict(proof: Proof) -> dict[str, Any]:
    """The JSON contract: claim, holds, steps, then the named results, tables and notes."""
    d: dict[str, Any] = {
        "claim": proof.claim,
        "holds": bool(proof.holds),
        "steps": [{"text": s.text, "expr": expr_string(s.expr)} for s in proof.steps],
    }
    d.update({k: _result_value(v) for k, v in proof.results.items()})
    d["tables"] = [{"title": t.title, "headers": t.headers, "rows": _result_value(t.rows)} for t in proof.tables]
    d["notes"] = list(proof.notes)
    return d


def to_json(proof: Proof) -> str:
    """``to_dict`` as indented JSON."""
    return dumps(to_dict(proof), ascii=False) + "\n"
