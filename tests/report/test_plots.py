"""report/plots.py: point labels never overlap; a figure path in a missing directory is an error (exit 2)."""

from __future__ import annotations

import pytest

from archcalc.cli import main
from archcalc.errors import ArchcalcError
from archcalc.report.plots import check_path, label_points, pyplot

COLS = ("macs", "deviation", "peak")


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
