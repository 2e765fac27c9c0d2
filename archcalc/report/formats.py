"""The one registry of output formats: a name -> a renderer over one table model.

Every command's ``--format`` choices come from here (:func:`names`), every table is
rendered through :func:`render`, and every JSON document is written by :func:`dumps`.
A :class:`Table` holds display cells (human units: ``568.7M``) and, for the exact
formats (CSV, JSON), the exact values; the renderer of a format decides which it uses.

To add a format: write ``def _myformat(t: Table) -> str`` and add one
``register(Format("myformat", _myformat, ...))`` line below.

>>> t = Table(["layer", "MACs"], [["conv1", "10.8M"]], raw=[["conv1", 10838016]])
>>> print(render(t, "markdown"))
| layer   | MACs   |
|---------|--------|
| conv1   | 10.8M  |
>>> print(render(t, "csv"), end="")
layer,MACs
conv1,10838016
>>> names()
('table', 'markdown', 'latex', 'csv', 'json')
>>> names(prose=True)
('text', 'markdown', 'latex', 'json')
>>> names(pages=True)
('table', 'markdown', 'latex', 'csv', 'json', 'html')
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

_NUMERIC = re.compile(r"[-+]?[0-9][0-9,.]*\s*(%|[KMGT]|[KMG]iB)?|-")
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


@dataclass
class Table:
    """The table model every format renders: headers, display rows, exact rows, alignment."""

    headers: list[str]
    rows: list[list[Any]]
    raw: list[list[Any]] | None = None  #: exact values (CSV, JSON); ``rows`` when None
    colalign: Sequence[str] | None = None  #: "left"/"right"/"center" per column

    @property
    def exact_rows(self) -> list[list[Any]]:
        return self.raw if self.raw is not None else self.rows


@dataclass(frozen=True)
class Format:
    """One output format: its name, its table renderer and what it is for."""

    name: str
    render: Callable[[Table], str] | None  #: None for a prose-only format (proofs' ``text``)
    help: str
    table: bool = True  #: offered for tables (cost, compare, sweep, breakdown, validate ...)
    prose: bool = False  #: offered for documents (proofs, homework)
    page: bool = False  #: a whole page of its own (``html``: archcalc.report.html), not a table renderer


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add a format to the registry; a name registered twice is an error."""
    if fmt.name in FORMATS:
        raise ValueError(f"output format '{fmt.name}' is registered twice")
    FORMATS[fmt.name] = fmt
    return fmt


def names(*, prose: bool = False, pages: bool = False, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """The format names a command offers: table formats (and with ``pages`` the page formats),
    or with ``prose`` the document formats."""
    return tuple(n for n, f in FORMATS.items()
                 if (f.prose if prose else f.table or (pages and f.page)) and n not in exclude)


def check(fmt: str, allowed: Sequence[str]) -> str:
    """``fmt`` when it is one of ``allowed``, else a one-line error naming the choices."""
    from archcalc.errors import SpecError

    if fmt not in allowed:
        raise SpecError(f"unknown format '{fmt}' (choose from {', '.join(allowed)})")
    return fmt


def render(table: Table, fmt: str) -> str:
    """``table`` in the format ``fmt`` (a name of the registry)."""
    f = FORMATS.get(fmt)
    if f is None or f.render is None:
        raise ValueError(f"unknown table format {fmt!r}")
    return f.render(table)


def dumps(obj: Any, *, indent: int | None = 2, ascii: bool = True) -> str:
    """The one JSON writer (indented; ``ascii=False`` keeps unicode math readable)."""
    return json.dumps(obj, indent=indent, ensure_ascii=ascii)


# ---------------------------------------------------------------- renderers --
def _tabulate(tablefmt: str) -> Callable[[Table], str]:
    def run(t: Table) -> str:
        return _tabulate_function()(t.rows, headers=t.headers, tablefmt=tablefmt, disable_numparse=True,
                                    colalign=t.colalign)
    return run


def _tabulate_function() -> Callable[..., str]:
    """``tabulate.tabulate``, imported on first use, without ``importlib.metadata``.

    tabulate's import asks ``importlib.metadata`` for its own version, which it never uses;
    that import (email, zipfile, ...) and the scan of every installed distribution were
    about a sixth of ``archcalc cost``'s start-up (issue 16). So, unless something already
    imported it, tabulate's import sees a stand-in that answers "not found" (tabulate then
    says version "unknown"), removed as soon as tabulate is in; anything else that imports
    ``importlib.metadata`` later gets the real module. Should a tabulate need more of it,
    it is imported the ordinary way.
    """
    import sys

    if "tabulate" not in sys.modules and "importlib.metadata" not in sys.modules:
        import types

        stub = types.ModuleType("importlib.metadata")

        class PackageNotFoundError(ModuleNotFoundError):
            pass

        def version(name: str) -> str:
            raise PackageNotFoundError(name)

        stub.version, stub.PackageNotFoundError = version, PackageNotFoundError
        sys.modules["importlib.metadata"] = stub
        try:
            from tabulate import tabulate
        except ImportError:
            sys.modules.pop("tabulate", None)
        finally:
            if sys.modules.get("importlib.metadata") is stub:
                del sys.modules["importlib.metadata"]
    from tabulate import tabulate

    return tabulate


def _csv(t: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(t.headers)
    for r in t.exact_rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def _json(t: Table) -> str:
    return dumps([dict(zip(t.headers, r)) for r in t.exact_rows])


def latex_escape(text: str) -> str:
    r"""Escape LaTeX's special characters in plain text.

    >>> latex_escape("stage1.block_0 & 5%")
    'stage1.block\\_0 \\& 5\\%'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


_SHAPE = re.compile(r"\b(\d+(?:x\d+)+)\b")


def latex_shape(text: str) -> str:
    r"""``32x112x112`` as paper-ready math: ``$32{\times}112{\times}112$`` (other text unchanged).

    >>> print(latex_shape("input 3x224x224, batch 1"))
    input $3{\times}224{\times}224$, batch 1
    """
    return _SHAPE.sub(lambda m: "$" + m.group(1).replace("x", r"{\times}") + "$", text)


_REPO_PATH = re.compile(r"\s*\((?:see )?[\w.-]+(?:/[\w.-]+)*\.(?:md|yaml|py)\)")


def latex_text(text: str) -> str:
    r"""Plain prose for a paper: special characters escaped, `` x `` and ``3x224x224`` as math,
    and no parenthesised repository path (``(docs/conventions.md)``): a paper cites no file of ours.

    >>> latex_text("FLOPs = 2 x MACs (docs/conventions.md); 5% of C x H x W, input 3x224x224")
    'FLOPs = 2 $\\times$ MACs; 5\\% of C $\\times$ H $\\times$ W, input $3{\\times}224{\\times}224$'
    """
    return latex_shape(latex_escape(_REPO_PATH.sub("", text))).replace(" x ", r" $\times$ ")


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


def _latex(t: Table) -> str:
    return latex_tabular(t.headers, t.rows, t.colalign)


register(Format("table", _tabulate("simple"), "aligned plain-text table"))
register(Format("text", None, "plain text (proofs and derivations)", table=False, prose=True))
register(Format("markdown", _tabulate("github"), "GitHub Markdown", prose=True))
register(Format("latex", _latex, "LaTeX (booktabs)", prose=True))
register(Format("csv", _csv, "CSV with exact values"))
register(Format("json", _json, "JSON with exact values", prose=True))
register(Format("html", None, "self-contained HTML page (archcalc.report.html)", table=False, page=True))
