"""Tables for people: text, Markdown, LaTeX (booktabs) and CSV, from an Analysis.

Numbers appear in human units (``568.7M``) in text/Markdown/LaTeX tables and as
exact integers in CSV (and JSON, which ``Analysis.to_json`` writes).

>>> human(568740352), human(4209088), human(864), human(1814073344)
('568.7M', '4.209M', '864', '1.814G')
"""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction
from typing import Any, Sequence

from tabulate import tabulate

FORMATS = ("table", "markdown", "latex", "csv", "json")
_TABLEFMT = {"table": "simple", "markdown": "github", "latex": "latex_booktabs"}
_NUMERIC = re.compile(r"[-+]?[0-9][0-9,.]*\s*(%|[KMGT]|[KMG]iB)?|-")
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def human(n: Any, digits: int = 4) -> str:
    """A count in K/M/G/T with ``digits`` significant digits; small ints stay exact."""
    if n is None:
        return "-"
    if not isinstance(n, (int, float, Fraction)):
        return str(n)
    x = float(n)
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(x) >= scale:
            v = x / scale
            s = f"{v:.{digits}g}"
            return f"{s}{unit}"
    return str(int(n)) if float(n).is_integer() else f"{x:.{digits}g}"


def human_bytes(n: Any) -> str:
    """Bytes in KiB/MiB/GiB with 4 significant digits."""
    if n is None:
        return "-"
    if not isinstance(n, (int, float, Fraction)):
        return str(n)
    x = float(n)
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(x) >= scale:
            return f"{x / scale:.4g} {unit}"
    return f"{int(x)} B"


def shape_str(shape: Sequence) -> str:
    """``64x56x56``; symbolic sizes are spaced: ``32*alpha × 112*rho × 112*rho``."""
    if any(not isinstance(d, int) for d in shape):
        return " × ".join(unicode_math(str(d)) for d in shape)
    return "x".join(str(d) for d in shape)


def expr_str(v: Any, fmt: str) -> str:
    """A sympy value as LaTeX math in LaTeX tables, one-line unicode math in text tables.

    >>> import sympy
    >>> expr_str(3 * sympy.Symbol("alpha") ** 2, "table")
    '3·α²'
    """
    if not type(v).__module__.startswith("sympy"):
        return str(v)
    import sympy

    if fmt == "latex":
        return f"${latex_math(v)}$"
    if fmt == "table":
        return unicode_math(str(v))
    return str(v)


def latex_math(v: Any) -> str:
    r"""A sympy value as LaTeX math, multi-letter names upright: ``\mathrm{classes}``, not c·l·a·s·s·e·s.

    Greek names stay Greek (``\alpha``), one-letter names italic (``k``); a subscript
    of more than one letter is upright too (``P_std`` is ``P_{\mathrm{std}}``).

    >>> import sympy
    >>> latex_math(1280 * sympy.Symbol("classes") + sympy.Symbol("alpha") ** 2 * sympy.Symbol("width_mult"))
    '\\alpha^{2} \\mathrm{width\\_mult} + 1280 \\mathrm{classes}'
    """
    import sympy

    expr = sympy.sympify(v)
    names = {}

    def upright(text: str) -> str:
        return r"\mathrm{" + text.replace("_", r"\_") + "}"

    for sym in getattr(expr, "free_symbols", ()):
        head, _, sub = sym.name.partition("_")
        if len(head) == 1 or head in GREEK_LATEX:  # P_std -> P_{\mathrm{std}}, alpha -> \alpha
            if sub:
                base = "\\" + head if head in GREEK_LATEX else head
                names[sym] = base + "_{" + (upright(sub) if len(sub) > 1 else sub) + "}"
        else:
            names[sym] = upright(sym.name)
    return sympy.latex(expr, symbol_names=names)


#: names sympy already renders as Greek letters
GREEK_LATEX = frozenset({"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
                         "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
                         "psi", "omega"})
_SHAPE = re.compile(r"\b(\d+(?:x\d+)+)\b")


def latex_shape(text: str) -> str:
    r"""``32x112x112`` as paper-ready math: ``$32{\times}112{\times}112$`` (other text unchanged).

    >>> print(latex_shape("input 3x224x224, batch 1"))
    input $3{\times}224{\times}224$, batch 1
    """
    return _SHAPE.sub(lambda m: "$" + m.group(1).replace("x", r"{\times}") + "$", text)


def latex_float(latex: str, caption: str | None = None, label: str | None = None) -> str:
    r"""Put a LaTeX table into a ``table`` float with ``\caption`` and ``\label`` (above the tabular).

    A bare ``tabular`` (with its ``%`` comment lines before it) is wrapped in
    ``\begin{table}[t] \centering ... \end{table}``; a ``table`` float already
    there gets the caption and label added after its ``\centering``. With
    neither caption nor label the text is returned unchanged.
    """
    if caption is None and label is None:
        return latex
    if label is not None and not re.fullmatch(r"[A-Za-z0-9:._/-]+", label):
        from archcalc.errors import SpecError

        raise SpecError(f"--label '{label}': use letters, digits and : . _ / - only (e.g. tab:mobilenet)")
    if not latex:
        return latex
    from archcalc.report.compare import latex_text

    head = ([r"\caption{" + latex_text(caption) + "}"] if caption is not None else []) + (
        [r"\label{" + label + "}"] if label is not None else [])
    lines = latex.rstrip("\n").split("\n")
    if r"\begin{table}[t]" in lines:
        i = lines.index(r"\centering", lines.index(r"\begin{table}[t]"))
        return "\n".join(lines[:i + 1] + head + lines[i + 1:]) + "\n"
    start = next(i for i, line in enumerate(lines) if line.startswith(r"\begin{tabular}"))
    end = max(i for i, line in enumerate(lines) if line.startswith(r"\end{tabular}"))
    out = lines[:start] + [r"\begin{table}[t]", r"\centering", *head] + lines[start:end + 1] + [r"\end{table}"]
    return "\n".join(out + lines[end + 1:]) + "\n"


SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "phi": "φ", "rho": "ρ", "pi": "π", "theta": "θ"}


def unicode_math(text: str) -> str:
    """One-line unicode rendering of a sympy string: ``alpha**2*rho`` -> ``α²·ρ``.

    >>> unicode_math("3*alpha**2*k**(-2) + sqrt(rho)")
    '3·α²·k⁻² + √(ρ)'
    """
    text = re.sub(r"\b(" + "|".join(GREEK) + r")\b", lambda m: GREEK[m.group(1)], text)
    text = re.sub(r"\bsqrt\b", "√", text)
    text = re.sub(r"(?<![\w*)])(\w+)\*\*\(-(\d+)\)", lambda m: f"1/{m.group(1)}{m.group(2).translate(SUPERSCRIPT)}", text)
    text = re.sub(r"\*\*(?:\((-\d+)\)|(-?\d+)(?![\d.]))", lambda m: (m.group(1) or m.group(2)).translate(SUPERSCRIPT), text)
    return text.replace("**", "^").replace("*", "·")


def render(headers: list[str], rows: list[list[Any]], fmt: str, raw_rows: list[list[Any]] | None = None,
           colalign: Sequence[str] | None = None) -> str:
    """Render rows in one of FORMATS (CSV uses ``raw_rows``, exact values, when given).

    ``colalign`` ("left"/"right"/"center" per column) right-aligns number columns.
    """
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(headers)
        for r in raw_rows if raw_rows is not None else rows:
            w.writerow(["" if v is None else v for v in r])
        return buf.getvalue()
    if fmt not in _TABLEFMT:
        raise ValueError(f"unknown table format {fmt!r}")
    if fmt == "latex":
        return latex_tabular(headers, rows, colalign)
    return tabulate(rows, headers=headers, tablefmt=_TABLEFMT[fmt], disable_numparse=True,
                    colalign=colalign)


def latex_escape(text: str) -> str:
    r"""Escape LaTeX's special characters in plain text.

    >>> latex_escape("stage1.block_0 & 5%")
    'stage1.block\\_0 \\& 5\\%'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def latex_tabular(headers: Sequence[str], rows: list[list[Any]], colalign: Sequence[str] | None = None) -> str:
    r"""A booktabs ``tabular``; cells of the form ``$...$`` are math and kept as they are.

    >>> print(latex_tabular(["a", "b"], [["x_1", r"$\alpha^{2}$"]], ["left", "right"]))
    \begin{tabular}{lr}
    \toprule
    a    &            b \\
    \midrule
    x\_1 & $\alpha^{2}$ \\
    \bottomrule
    \end{tabular}
    """
    if colalign is None:  # numbers (4.2M, -0.26%, 3x224x224 excluded) to the right
        colalign = ["right" if rows and all(_NUMERIC.fullmatch(str(r[i])) for r in rows) else "left"
                    for i in range(len(headers))]
    spec = "".join({"right": "r", "center": "c"}.get(a, "l") for a in colalign)

    def cell(v: Any) -> str:
        text = "" if v is None else str(v)
        if len(text) >= 2 and text.startswith("$") and text.endswith("$"):
            return text
        return latex_shape(latex_escape(text))

    table = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    body = [" & ".join(c.rjust(w) if a == "right" else c.ljust(w) for c, w, a in zip(r, widths, colalign))
            + " \\\\" for r in table]
    lines = [f"\\begin{{tabular}}{{{spec}}}", "\\toprule", body[0], "\\midrule", *body[1:],
             "\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines)


def _shape_cell(shape: Sequence, fmt: str) -> str:
    """A shape cell: ``64x56x56``, or LaTeX math when a size is symbolic."""
    if fmt == "latex" and any(type(d).__module__.startswith("sympy") for d in shape):
        return "$" + r" {\times} ".join(expr_str(d, fmt).strip("$") for d in shape) + "$"
    return shape_str(shape)


def _cell(v: Any, fmt: str, symbolic: bool) -> str:
    return expr_str(v, fmt) if symbolic else human(v)


def cost_table(a, fmt: str = "table", per_layer: bool = True, selected: list | None = None,
               source: str | None = None) -> str:
    """The ``archcalc cost`` table: header lines, per-layer rows (optional; ``selected`` ones
    only) with their subtotal, and the network total."""
    sym = a.symbolic
    headers = ["layer", "op", "output", "params", "MACs", "FLOPs", "activations"]
    rows, raw = [], []
    if per_layer or selected:
        for c in selected or a.layers:
            rows.append([c.name, c.op, _shape_cell(c.output, fmt), _cell(c.params, fmt, sym),
                         _cell(c.macs, fmt, sym), _cell(c.flops, fmt, sym), _cell(c.activations, fmt, sym)])
            raw.append([c.name, c.op, shape_str(c.output), c.params, c.macs, c.flops, c.activations])
    if selected:
        sub = [sum(getattr(c, k) for c in selected) for k in ("params", "macs", "flops", "activations")]
        rows.append(["selected", f"{len(selected)} layers", ""] + [_cell(v, fmt, sym) for v in sub])
        raw.append(["selected", len(selected), ""] + sub)
    t = a.totals
    rows.append(["total", f"{len(a.layers)} layers", _shape_cell(a.layers[-1].output, fmt),
                 _cell(t["params"], fmt, sym), _cell(t["macs"], fmt, sym), _cell(t["flops"], fmt, sym),
                 _cell(t["activations"], fmt, sym)])
    raw.append(["total", len(a.layers), shape_str(a.layers[-1].output), t["params"], t["macs"],
                t["flops"], t["activations"]])
    align = ["left", "left", "left"] + ["left" if sym else "right"] * 4
    body = render(headers, rows, fmt, raw, align)
    if fmt == "csv":
        return body
    head = header_lines(a)
    if fmt == "latex":
        comments = head + summary_lines(a, "latex", source)
        return "\n".join("% " + line for line in comments) + "\n" + body + "\n"
    summary = summary_lines(a, fmt, source)
    sep = "\n\n" if fmt == "markdown" else "\n"
    return sep.join(["\n".join(head), body, "\n".join(summary)]) + "\n"


def header_lines(a) -> list[str]:
    net = a.network
    point = ", ".join(f"{k}={v}" for k, v in net.vars.items() if not isinstance(v, list))
    variant = f" [{net.variant}]" if net.variant else ""
    lines = [
        f"{net.name}{variant}: input {shape_str(net.input_shape)}, batch {a.batch}, dtype {a.dtype}"
        + (f"; {point}" if point else ""),
        "Conventions: " + a.conventions,
    ]
    if a.symbolic:
        lines.append(f"Symbolic (ideal model) in {', '.join(a.symbols) or 'no symbols'}: "
                     "sizes are H/stride, channels unrounded, floor/ceil/round the identity.")
        held = a.extra.get("held")
        if held:
            lines.append("Held at the point (structural: they decide repeat counts or branches): "
                         + ", ".join(f"{k}={v}" for k, v in held.items()) + ".")
    return lines


def summary_lines(a, fmt: str, source: str | None = None) -> list[str]:
    t = a.totals
    pk = t["params_by_kind"]
    if a.symbolic:
        return ["params by kind: " + ", ".join(f"{k} {expr_str(v, fmt)}" for k, v in pk.items() if v != 0)]
    lines = [
        "params by kind: " + ", ".join(f"{k} {human(v)} ({v:,})" for k, v in pk.items() if v)
        + f"; buffers {human(t['buffers'])}",
        f"exact: params {t['params']:,}, MACs {t['macs']:,}, FLOPs {t['flops']:,}",
        "FLOPs by kind: " + ", ".join(f"{k} {human(v)}" for k, v in t["flops_by_kind"].items() if v),
        f"memory ({a.dtype}): params {human_bytes(t['param_bytes'])}, activations "
        f"{human_bytes(t['activation_bytes'])} in all, peak live {human_bytes(t['peak_activation_bytes'])} "
        f"at {t['peak_at']}; conv/linear activations {human(t['activations_conv_linear'])}",
    ]
    lines += published_lines(a, source)
    if fmt == "markdown":
        return ["- " + line for line in lines]
    return lines


def published_lines(a, source: str | None = None) -> list[str]:
    """One line per published figure recorded at this exact point (of ``source``, a key or a
    class, if given), with the agreement: the count rounded or truncated to the printed
    precision gives the figure (``archcalc.reference``)."""
    out = []
    for c in a.checks(source):
        parts = []
        for what, got, fig, ok, extra in (
            ("MACs", c.macs, c.macs_fig, c.macs_ok, c.ref.macs_label),
            ("params", c.params, c.params_fig, c.params_ok, c.ref.params_convention),
        ):
            if fig is None:
                continue
            if ok:
                mark = "matches exactly" if fig.exact else "matches"
            else:
                mark = f"differs by {float((got - fig.value) / fig.value * 100):+.2f}%"
            label = f" [{extra}]" if extra else ""
            exact = fig.exact
            shown, printed = (f"{got:,}", f"{fig.value:,}") if exact else (human(got), fig.text)
            parts.append(f"{what}{label} {printed} vs {shown}: {mark}")
        if c.ref.top1 is not None:
            parts.append(f"top-1 {c.ref.top1}%")
        if not parts:
            continue
        excl = f", without {', '.join(c.ref.exclude)}" if c.ref.exclude else ""
        note = f" [deviation: {c.ref.deviation}]" if c.ref.deviation else ""
        out.append(f"published [{c.source_key}] ({c.ref.source}{excl}): " + "; ".join(parts) + note)
    return out
