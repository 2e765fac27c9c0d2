"""Tables for people: text, Markdown, LaTeX (booktabs) and CSV, from an Analysis.

Numbers appear in human units (``568.7M``) in text/Markdown/LaTeX tables and as
exact integers in CSV (and JSON, which ``Analysis.to_json`` writes).

>>> human(568740352), human(4209088), human(864), human(1814073344)
('568.7M', '4.209M', '864', '1.814G')
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Sequence

from archcalc.report import formats
from archcalc.report.formats import Table, latex_escape, latex_shape, latex_tabular  # noqa: F401 (re-exported)


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
        from archcalc.errors import SettingError

        raise SettingError("label", f"'{label}': use letters, digits and : . _ / - only (e.g. tab:mobilenet)",
                           form="{setting} {detail}")
    if not latex:
        return latex
    from archcalc.report.formats import latex_text

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
    """Render rows in a registered table format (:mod:`archcalc.report.formats`; CSV and
    JSON use ``raw_rows``, exact values, when given).

    ``colalign`` ("left"/"right"/"center" per column) right-aligns number columns.
    """
    return formats.render(Table(headers, rows, raw_rows, colalign), fmt)


def _shape_cell(shape: Sequence, fmt: str) -> str:
    """A shape cell: ``64x56x56``, or LaTeX math when a size is symbolic."""
    if fmt == "latex" and any(type(d).__module__.startswith("sympy") for d in shape):
        return "$" + r" {\times} ".join(expr_str(d, fmt).strip("$") for d in shape) + "$"
    return shape_str(shape)


def _cell(v: Any, fmt: str, symbolic: bool) -> str:
    return expr_str(v, fmt) if symbolic else human(v)


def cost_table(a, fmt: str = "table", per_layer: bool = True, selected: list | None = None,
               source: str | None = None, convention: tuple | None = None) -> str:
    """The ``archcalc cost`` table: header lines, per-layer rows (optional; ``selected`` ones
    only) with their subtotal, and the network total.  ``convention`` = (preset, {layer name:
    count}) adds a column with the preset's count (named by preset and unit)."""
    sym = a.symbolic
    headers = ["layer", "op", "output", "params", "MACs", "FLOPs", "activations"]
    preset, counts, pass_ = (tuple(convention) + ("inference",))[:3] if convention else (None, {}, "inference")
    training = pass_ != "inference"
    if preset is not None:
        headers.append(f"{preset.name} count" + (f" ({pass_})" if training else ""))

    def extra(names):
        return [sum(counts[n] for n in names)] if preset is not None else []

    rows, raw = [], []
    if per_layer or selected:
        for c in selected or a.layers:
            x = extra([c.name])
            rows.append([c.name, c.op, _shape_cell(c.output, fmt), _cell(c.params, fmt, sym),
                         _cell(c.macs, fmt, sym), _cell(c.flops, fmt, sym), _cell(c.activations, fmt, sym)]
                        + [_cell(v, fmt, sym) for v in x])
            raw.append([c.name, c.op, shape_str(c.output), c.params, c.macs, c.flops, c.activations] + x)
    if selected:
        sub = [sum(getattr(c, k) for c in selected) for k in ("params", "macs", "flops", "activations")]
        sub += extra([c.name for c in selected])
        rows.append(["selected", f"{len(selected)} layers", ""] + [_cell(v, fmt, sym) for v in sub])
        raw.append(["selected", len(selected), ""] + sub)
    t = a.totals
    x = extra([c.name for c in a.layers])
    rows.append(["total", f"{len(a.layers)} layers", _shape_cell(a.layers[-1].output, fmt),
                 _cell(t["params"], fmt, sym), _cell(t["macs"], fmt, sym), _cell(t["flops"], fmt, sym),
                 _cell(t["activations"], fmt, sym)] + [_cell(v, fmt, sym) for v in x])
    raw.append(["total", len(a.layers), shape_str(a.layers[-1].output), t["params"], t["macs"],
                t["flops"], t["activations"]] + x)
    align = ["left", "left", "left"] + ["left" if sym else "right"] * (len(headers) - 3)
    body = render(headers, rows, fmt, raw, align)
    if fmt == "csv":
        return body
    head = header_lines(a)
    if preset is not None:
        total = x[0]
        head.append(f"Convention: {preset.describe('preset')}")
        head.append(f"{preset.name} total ({preset.unit}{', ' + pass_ + ': forward + backward' if training else ''}): "
                    + (expr_str(total, fmt) if sym else f"{total:,}")
                    + (f" = what {preset.entry} reports" if preset.entry else ""))
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
        held = a.held
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
