"""The Proof renderers: JSON contract, unicode text, LaTeX that compiles (or at least balances)."""

import json
import re
import shutil
import subprocess

import pytest
import sympy

from archcalc.proofs.proof import Proof, Step, Table, equal, latex_text, render, unicode_math


def _proof():
    k, N = sympy.symbols("k N", positive=True)
    return Proof("1/N + 1/k² ≤ 1 for N, k ≥ 2 (50 % of α_1)",
                 [Step("a sum & a ratio", sympy.Eq(sympy.Symbol("r"), 1 / N + 1 / k**2)),
                  Step("a chain", (sympy.Symbol("r"), (N + k**2) / (N * k**2), 1 / N + 1 / k**2)),
                  Step("prose only")],
                 holds=True, results={"ratio": 1 / N + 1 / k**2},
                 tables=[Table("numbers φ", ["a", "b"], [["α", "1"]])], notes=["β note"], title="t")


def test_equal_is_simplify_of_difference():
    x = sympy.Symbol("x", positive=True)
    assert equal(sympy.sqrt(x**2), x)
    assert not equal(x + 1, x)


def test_rational_identities_are_decided_without_simplify(monkeypatch):
    # issue 16: the DSC identities are rational functions: cancel decides them, simplify (slow,
    # and it imports sympy.physics.units) is left for the rest; the verdicts are simplify's.
    from archcalc.proofs.dsc import prove_dsc

    def boom(*a, **k):
        raise AssertionError("simplify called")

    k, N, x = sympy.symbols("k N x", positive=True)
    cases = [((N + k**2) / (N * k**2), 1 / N + 1 / k**2, True), ((x + 1) ** 2, x**2 + 2 * x + 1, True),
             (1 / N + 1 / k, 1 / N, False), (sympy.sin(x) ** 2 + sympy.cos(x) ** 2, 1, True),
             (2**x * 2**x, 4**x, True)]
    expected = [sympy.simplify(sympy.sympify(a) - b) == 0 for a, b, _ in cases]
    assert expected == [want for *_, want in cases]
    assert [equal(a, b) for a, b, _ in cases] == expected  # the trig and power ones need simplify
    monkeypatch.setattr(sympy, "simplify", boom)
    assert equal((N + k**2) / (N * k**2), 1 / N + 1 / k**2)
    assert prove_dsc().holds


def test_json_contract():
    d = json.loads(render(_proof(), "json"))
    assert d["claim"].startswith("1/N") and d["holds"] is True
    assert [set(s) for s in d["steps"]] == [{"text", "expr"}] * 3
    assert d["steps"][0]["expr"] == "r = 1/N + k**(-2)" or d["steps"][0]["expr"] == "r = k**(-2) + 1/N"
    assert d["steps"][2]["expr"] == ""
    N, k = sympy.symbols("N k", positive=True)
    assert sympy.simplify(sympy.parse_expr(d["ratio"], {"N": N, "k": k}) - (1 / N + 1 / k**2)) == 0


def test_text_uses_unicode_math():
    a, k, N = sympy.symbols("alpha k N")
    assert unicode_math(a**2 * k) in ("k·α²", "α²·k")
    assert unicode_math((N + k**2) / N) == "(N + k²)/N"
    assert "1/k²" in unicode_math(1 / N + 1 / k**2)
    assert "φ" in render(_proof(), "text")


def test_latex_text_escapes_and_maps_unicode():
    assert latex_text("50 % & α_1") == r"50 \% \& \ensuremath{\alpha}\_1"


def _document(body: str) -> str:
    return ("\\documentclass{article}\\usepackage{amsmath,booktabs}\\begin{document}\n"
            + body + "\\end{document}\n")


def test_latex_environments_balance():
    tex = render(_proof(), "latex")
    for env in ("align*", "tabular", "itemize"):
        assert tex.count(f"\\begin{{{env}}}") == tex.count(f"\\end{{{env}}}") >= 1
    assert tex.isascii()
    assert len(re.findall(r"(?<!\\)\{", tex)) == len(re.findall(r"(?<!\\)\}", tex))


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX engine installed")
def test_latex_compiles(tmp_path):
    (tmp_path / "doc.tex").write_text(_document(render(_proof(), "latex")))
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


def test_markdown_has_display_math():
    md = render(_proof(), "markdown")
    assert "$$ r = " in md and "| a " in md.replace("|   a", "| a")


def test_unknown_format_is_a_user_error():
    from archcalc.errors import SpecError

    with pytest.raises(SpecError, match="unknown format"):
        render(_proof(), "pdf")
