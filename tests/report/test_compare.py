"""report/compare.py: comparison rows rendered; CSV/JSON deviation columns name their unit, LaTeX sets "x" as math."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest

from archcalc.report.compare import render_rows
from archcalc.study import compare_rows

COLS = ("macs", "deviation", "peak")


@pytest.fixture(scope="module")
def mobilenet_rows():
    return compare_rows(["mobilenet"])


def test_machine_readable_deviation_names_its_unit(mobilenet_rows):
    # (568,740,352 - 569,000,000) / 569,000,000 * 100 = -0.04563 (percent, not a fraction)
    header, row = list(csv.reader(io.StringIO(render_rows(["network", "variant"], mobilenet_rows, COLS, "csv"))))
    got = dict(zip(header, row))
    assert got["MACs dev. (%)"] == "-0.05"  # CSV: rounded to 2 decimals, as printed (issue 9)
    assert "MACs dev." not in got and "peak act. mem. (bytes)" in got
    (obj,) = json.loads(render_rows(["network", "variant"], mobilenet_rows, COLS, "json"))["rows"]
    assert set(obj) == set(header) and abs(obj["params dev. (%)"] - (4209088 - 4.2e6) / 4.2e6 * 100) < 1e-9
    # human formats keep the short header and the % in the cell
    table = render_rows(["network", "variant"], mobilenet_rows, COLS, "markdown")
    assert "MACs dev. " in table and "(%)" not in table and "-0.05%" in table


def test_latex_note_sets_times_as_math(mobilenet_rows):
    tex = render_rows(["network", "variant"], mobilenet_rows, COLS, "latex")
    assert r"2 $\times$ MACs" in tex and "2 x MACs" not in tex and r"C $\times$ H $\times$ W" in tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_compare_latex_compiles(mobilenet_rows, tmp_path):
    (tmp_path / "compare.tex").write_text(render_rows(["network", "variant"], mobilenet_rows, COLS, "latex", "A & B"))
    (tmp_path / "doc.tex").write_text(r"\documentclass{article}\usepackage{booktabs,graphicx}"
                                      r"\begin{document}\input{compare}\end{document}")
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]
