"""Issue 9 rough edges in reporting: breakdown --by block, LaTeX/CSV, plots."""

from __future__ import annotations

import pytest

from archcalc.api import analyze
from archcalc.report import breakdown as bd


def test_breakdown_by_block_is_one_row_per_residual_unit():
    a = analyze("resnet", variant="50")
    rows = bd.breakdown(a, "block")
    names = [s.group for s in rows if s.macs or s.params]
    units = [f"layer{s + 1}.{i}" for s, n in enumerate((3, 4, 6, 3)) for i in range(n)]
    assert names == ["stem", *units, "fc"]
    assert names != [s.group for s in bd.breakdown(a, "stage") if s.macs or s.params]
    # each unit's totals are those of the layers named under it (torchvision's layer1.0.*)
    for s in rows:
        if s.group in units:
            mine = [c for c in a.layers if c.name.startswith(s.group + ".")]
            assert (s.layers, s.macs, s.params) == (len(mine), sum(c.macs for c in mine),
                                                    sum(c.params for c in mine))
    first = next(s for s in rows if s.group == "layer1.0")
    assert (first.macs, first.params) == (231211008, 75008)


def test_breakdown_by_block_keeps_se_inside_its_unit():
    rows = {s.group: s for s in bd.breakdown(analyze("senet", variant="se-resnet-50"), "block")}
    assert "layer1.0" in rows and not any(".se" in g for g in rows)


def test_breakdown_plot_draws_the_groups_of_by(tmp_path, monkeypatch):
    from archcalc.report import plots

    seen = {}

    def fake(names, macs, params, kinds, title, path, caption="", batch=1, xlabel="", legend=True):
        seen.update(names=list(names), macs=list(macs), kinds=list(kinds), xlabel=xlabel)
        return path

    monkeypatch.setattr(plots, "plot_layers", fake)
    a = analyze("resnet", variant="50")
    bd.plot_breakdown(a, tmp_path / "b.png", "block")
    assert len(seen["names"]) == 18 and seen["names"][1] == "layer1.0"
    assert seen["kinds"][1:4] == ["layer1"] * 3 and seen["xlabel"].startswith("block")
    bd.plot_breakdown(a, tmp_path / "s.png", "stage")
    assert seen["names"] == ["stem", "layer1", "layer2", "layer3", "layer4", "fc"]
    assert sum(seen["macs"]) == a.totals["macs"]


# ------------------------------------------------------------ LaTeX and CSV --
def _cli(*args):
    from typer.testing import CliRunner

    from archcalc.cli import app

    return CliRunner().invoke(app, list(args))


def test_latex_symbols_are_upright_and_shapes_use_times():
    from archcalc.report.tables import cost_table

    sym = cost_table(analyze("mobilenet", symbolic=True), "latex")
    assert r"1024 \alpha \mathrm{classes}" in sym and " c l a s s e s" not in sym
    assert r"$32 \alpha {\times} 112 \rho {\times} 112 \rho$" in sym
    num = cost_table(analyze("mobilenet"), "latex")
    assert r"conv0                & conv2d          & $32{\times}112{\times}112$ &" in num
    assert "32x112x112" not in num.split(r"\begin{tabular}")[1]


@pytest.mark.parametrize("cmd", [["cost", "mobilenet", "--summary"], ["breakdown", "mobilenet"],
                                 ["compare", "mobilenet", "resnet:50"], ["sweep", "mobilenet", "--alpha", "1,0.5"]])
def test_caption_and_label_make_a_table_float(cmd):
    r = _cli(*cmd, "--format", "latex", "--caption", "Costs & shares", "--label", "tab:x")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    i = lines.index(r"\begin{table}[t]")
    assert lines[i + 1:i + 4] == [r"\centering", r"\caption{Costs \& shares}", r"\label{tab:x}"]
    assert lines.index(r"\end{table}") > max(j for j, line in enumerate(lines) if line.startswith(r"\end{tabular}"))
    assert r.stdout.count(r"\begin{table}") == 1


def test_caption_needs_latex_and_a_clean_label(capsys):
    from archcalc.cli import main

    for argv, message in ((["cost", "mobilenet", "--caption", "x"], "add --format latex"),
                          (["cost", "mobilenet", "--format", "latex", "--label", "tab x"], "--label 'tab x'")):
        with pytest.raises(SystemExit) as e:
            main(argv)
        err = capsys.readouterr()
        assert e.value.code == 2 and message in err.err and err.out == ""


def test_latex_footnote_names_no_repository_path():
    r = _cli("compare", "mobilenet", "resnet:50", "--format", "latex")
    note = next(line for line in r.stdout.splitlines() if line.startswith(r"\parbox"))
    assert ".md" not in note and "docs/" not in note
    assert r"Input $3{\times}224{\times}224$" in note


def test_csv_cells_are_numbers_with_a_unit_column():
    import csv
    import io

    r = _cli("compare", "mobilenet", "resnet:50", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    mn, rn = rows
    assert (mn["pub. MACs"], mn["pub. MACs unit"], mn["pub. params"], mn["pub. params unit"]) == ("569", "M", "4.2", "M")
    assert (rn["pub. MACs"], rn["pub. MACs unit"]) == ("4.1", "G")
    # deviations rounded to 2 decimals: 568,740,352 vs 569M is -0.0456...%
    assert mn["MACs dev. (%)"] == "-0.05" and rn["MACs dev. (%)"] == "-0.26"
    for row in rows:
        for k in ("params", "MACs", "pub. MACs", "pub. params", "MACs dev. (%)", "top-1 %"):
            if row[k] != "":  # a figure the row's source does not give is empty, never text
                float(row[k])


def test_sorting_by_published_uses_the_full_value():
    from archcalc.report.compare import column_values
    from archcalc.study import compare_rows

    rows = compare_rows(["mobilenet", "resnet:50"])
    assert column_values(rows, "published") == [569_000_000, 4_100_000_000]


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex not installed")
def test_paper_ready_latex_compiles(tmp_path):
    import subprocess

    parts = []
    for cmd in (["cost", "mobilenet", "--symbolic", "--summary"], ["cost", "resnet", "-v", "18", "--layer", "layer1.*"],
                ["breakdown", "resnet", "-v", "50", "--by", "block"], ["compare", "mobilenet", "efficientnet:b0"]):
        r = _cli(*cmd, "--format", "latex", "--caption", "A & B: 3x224x224", "--label", f"tab:{cmd[0]}")
        assert r.exit_code == 0, r.output
        parts.append(r.stdout)
    (tmp_path / "doc.tex").write_text(r"\documentclass{article}\usepackage{booktabs,graphicx}\begin{document}"
                                      + "\n".join(parts) + r"\end{document}")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


# ------------------------------------------------------------------- plots --
def test_plot_accuracy_prints_nothing_on_stdout(tmp_path):
    r = _cli("plot", "accuracy", "mobilenet", "-o", str(tmp_path / "a.png"))
    assert r.exit_code == 0 and r.stdout == "" and (tmp_path / "a.png").stat().st_size > 0
    r = _cli("plot", "accuracy", "mobilenet", "-o", str(tmp_path / "a.png"), "--table", "--format", "csv")
    assert r.stdout.splitlines()[1] == "MobileNet v1,alpha=1,568740352,4231976,70.6,\"Howard et al. 2017, Table 6 (and Tables 4, 7, 8)\""


def test_crowded_labels_are_moved_apart_not_dropped():
    from archcalc.report.plots import label_points, pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4, 3))
    pts = [(1 + 0.01 * i, 1 + 0.01 * (i % 3), f"point-{i}") for i in range(16)] + [(5, 5, "far")]
    ax.plot([p[0] for p in pts], [p[1] for p in pts], "o")
    drawn = label_points(ax, pts)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(a, renderer) for a in drawn]  # the text, without its leader line
    assert [a.get_text() for a in drawn] == [p[2] for p in pts]  # every label, none dropped
    overlapping = [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]
    assert overlapping == []
    plt.close(fig)


def test_sweep_plot_labels_every_line_and_every_point(tmp_path, monkeypatch):
    from archcalc.report import plots
    from archcalc.report.sweep import axes_from_options, plot_sweep
    from archcalc.study import sweep_rows

    seen = []
    real = plots.label_points

    def spy(ax, labels, lines=()):
        drawn = real(ax, labels, lines)
        seen.extend(a.get_text() for a in drawn)
        return drawn

    monkeypatch.setattr(plots, "label_points", spy)
    axes = axes_from_options(None, shorthands=[("alpha", "1,0.75,0.5,0.25"), ("rho", "1,6/7,5/7,4/7")])
    plot_sweep(sweep_rows("mobilenet", axes), axes, "params", "macs", tmp_path / "g.png")
    assert [t for t in seen if t.startswith("alpha=")] == ["alpha=1", "alpha=0.75", "alpha=0.5", "alpha=0.25"]
    assert sorted(t for t in seen if t.startswith("rho=")) == sorted([f"rho={r}" for r in ("1", "6/7", "5/7", "4/7")] * 4)
