"""compare and sweep rows against the MobileNet paper (Howard et al. 2017, Tables 1, 6, 7).

Independent values: the paper's printed figures (569M, 4.2M, 325M ...), the
input sizes 224/192/160/128 of Table 7, and MobileNet 1.0's exact mult-adds
568,740,352 summed by hand from Table 1 (published-numbers.md, [C]).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from archcalc.errors import SpecError
from archcalc.reference import parse_figure
from archcalc.report.compare import pct, render_rows, sort_rows, split_spec_arg
from archcalc.report.sweep import grid, split_list
from archcalc.study import compare_rows, sweep_rows


def test_split_spec_arg():
    assert split_spec_arg("specs/resnet.yaml:50") == ("specs/resnet.yaml", "50")
    assert split_spec_arg("specs/senet.yaml:se-resnet-50") == ("specs/senet.yaml", "se-resnet-50")
    assert split_spec_arg("mobilenet") == ("mobilenet", None)


def test_compare_mobilenet_published_and_deviation():
    (row,) = compare_rows(["mobilenet"])
    assert row.macs_check.macs_fig.text == "569M" and row.params_check.params_fig.text == "4.2M"
    assert row.top1[0] == 70.6
    # (568,740,352 - 569,000,000) / 569,000,000 = -0.0456 %
    assert pct(row.macs_check.macs_deviation_pct) == "-0.05%"
    # params in the paper's convention, weights only: 4,209,088 vs 4.2M -> +0.22 %
    assert pct(row.params_check.params_deviation_pct) == "+0.22%"


def test_compare_latex_is_booktabs_with_conventions():
    rows = compare_rows(["mobilenet", "mobilenet:shallow"])
    tex = render_rows(["network", "variant"], rows, ("params", "macs", "published"), "latex")
    for part in (r"\toprule", r"\midrule", r"\bottomrule", r"\begin{tabular}", "mult-adds", "batch 1", "fp32",
                 r"$3{\times}224{\times}224$"):
        assert part in tex
    # shallow MobileNet: Table 5 prints 307M mult-adds
    assert "307M" in tex


def test_compare_sort_and_unknown_var():
    rows = sort_rows(compare_rows(["mobilenet", "mobilenet:shallow"]), "macs")
    assert [r.labels[1] for r in rows] == ["shallow", "default"]  # 307M < 569M (Tables 5, 6)
    with pytest.raises(SpecError, match="no compared spec"):
        compare_rows(["mobilenet"], {"beta": "1"})


def test_split_list_top_level_commas_and_fractions():
    assert split_list("1,6/7,5/7,4/7") == ["1", "6/7", "5/7", "4/7"]
    assert split_list("[1, 2], [3, 4]") == ["[1, 2]", "[3, 4]"]
    with pytest.raises(SpecError):
        split_list("1,,2")
    with pytest.raises(SpecError):
        split_list("[1, 2")


def test_grid_order_first_axis_slowest():
    pts = grid([("alpha", ["1", "0.5"]), ("rho", ["1", "6/7"])])
    assert pts == [{"alpha": "1", "rho": "1"}, {"alpha": "1", "rho": "6/7"},
                   {"alpha": "0.5", "rho": "1"}, {"alpha": "0.5", "rho": "6/7"}]


def test_mobilenet_alpha_rho_grid():
    axes = [("alpha", ["1", "0.75", "0.5", "0.25"]), ("rho", ["1", "6/7", "5/7", "4/7"])]
    rows = sweep_rows("mobilenet", axes)
    assert len(rows) == 16
    # Table 7: rho = 6/7, 5/7, 4/7 are the inputs 192, 160, 128 (exact fractions, no rounding)
    assert [r.analysis.network.input_shape[1] for r in rows[:4]] == [224, 192, 160, 128]
    assert rows[1].analysis.network.vars["rho"] == Fraction(6, 7)
    # Table 6 at rho = 1: 569M, 325M, 149M, 41M mult-adds, each rounded or truncated to the unit
    for r, printed in zip(rows[::4], ("569M", "325M", "149M", "41M")):
        assert parse_figure(printed).matches(r.analysis.totals["macs"])
    # Table 7 at alpha = 1: 418M, 290M, 186M
    for r, printed in zip(rows[1:4], ("418M", "290M", "186M")):
        assert parse_figure(printed).matches(r.analysis.totals["macs"])
