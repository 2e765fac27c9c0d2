"""Regression tests of the QA findings on the reporting commands (issue 6).

1. CSV/JSON deviation columns name their unit (percent), LaTeX writes "2 x MACs" as math;
2. the default accuracy figure leaves out 384² and ImageNet-22K pre-trained entries, and
   point labels never overlap;
3. a figure path in a missing directory is an error (exit 2), and no directory is created.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest

from archcalc.cli import main
from archcalc.errors import ArchcalcError, SpecError
from archcalc.report.accuracy import accuracy_points, extra_data, standard_points
from archcalc.report.compare import compare_rows, render_rows
from archcalc.report.plots import check_path, label_points, pyplot

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


def test_default_accuracy_points_are_standard_input_imagenet1k():
    pts = accuracy_points(["convnext", "mobilenet"])
    std = standard_points(pts)
    conv = [p for p in std if p.spec == "convnext"]
    # README ImageNet-1K table at 224 (tiny, small, base, large) and torchvision's four acc@1 rows
    assert sorted(p.variant for p in conv) == sorted(["tiny", "small", "base", "large"] * 2)
    assert all(not p.vars and not extra_data(p.source) for p in conv)
    # MobileNet: rho < 1 changes the 224 input (Table 7: 192, 160, 128) and is left out; alpha is kept
    mob = [p for p in std if p.spec == "mobilenet"]
    assert mob and all(str(p.vars.get("rho", 1)) == "1" for p in mob)
    assert {str(p.vars["alpha"]) for p in mob if "alpha" in p.vars} == {"1", "0.75", "0.5", "0.25"}
    assert len(pts) > len(std)  # the others exist and are drawn with --all


def test_point_labels_do_not_overlap():
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    pts = [(5 + 0.02 * i, 5 + 0.02 * i, f"label-{i}") for i in range(12)] + [(1, 1, "alone")]
    drawn = label_points(ax, pts)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(a, r) for a in drawn]  # the text, without its leader line
    # issue 9: crowded labels are moved apart, not dropped
    assert [a.get_text() for a in drawn] == [p[2] for p in pts]
    assert not any(boxes[i].overlaps(boxes[j]) for i in range(len(boxes)) for j in range(i))
    plt.close(fig)


def test_check_path_needs_an_existing_directory(tmp_path):
    assert check_path(tmp_path / "a.svg") == tmp_path / "a.svg"
    with pytest.raises(ArchcalcError, match="does not exist"):
        check_path(tmp_path / "missing" / "a.png")
    with pytest.raises(ArchcalcError, match="is a directory"):
        (tmp_path / "d.png").mkdir()
        check_path(tmp_path / "d.png")


@pytest.mark.parametrize("args", [
    ["sweep", "mobilenet", "--alpha", "1", "--plot"],
    ["breakdown", "mobilenet", "--plot"],
    ["plot", "accuracy", "mobilenet", "--out"],
])
def test_figure_in_missing_directory_exits_2(args, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "x.png"
    with pytest.raises(SystemExit) as e:
        main(args + [str(target)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "does not exist" in err and str(target.parent) in err
    assert not (tmp_path / "no").exists()


def test_pretrain_field_marks_extra_data_points():
    from archcalc.report.accuracy import Point

    plain = Point("s", "Net", "a", {}, "a", 1, 1, 80.0, "Some paper, Table 2")
    tagged = Point("s", "Net", "a", {}, "a", 1, 1, 85.0, "Some paper, Table 2", pretrain="JFT-300M")
    assert standard_points([plain, tagged]) == [plain]
    # ConvNeXt's 22K->1K rows carry the field, not only the words in their source text
    conv = [p for p in accuracy_points(["convnext"]) if p.pretrain]
    assert len(conv) == 10 and all(p.pretrain == "ImageNet-22K" for p in conv)


def test_series_split_variant_families_and_leave_ablations_unconnected():
    from archcalc.report.accuracy import ablations, series

    lines = series(standard_points(accuracy_points(["senet", "wide_resnet", "mobilenet"])))
    senet = {label: [p.variant for p in ps] for (net, label), ps in lines.items() if net == "SENet"}
    assert sorted(map(len, senet.values())) == [2, 3]  # SE-ResNeXt-50/101 and SE-ResNet-50/101/152
    assert sum(net == "Wide ResNet" for net, _ in lines) == 1  # wrn-50-2, wrn-101-2: one family
    # MobileNet v1's shallow and full-conv variants are separate architectures, not a curve
    (key,) = ablations(lines)
    assert key[0] == "MobileNet v1" and {p.variant for p in lines[key]} == {"shallow", "full-conv"}
