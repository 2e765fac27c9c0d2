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


def test_line_samples_are_counted_as_by_brute_force():
    # label_points counts line samples under a candidate box with a bisect over x (issue 16);
    # the count (capped at 5) must be the brute-force one, so labels land where they did.
    import random

    from archcalc.report.plots import _count_in

    rng = random.Random(3)
    samples = sorted((rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(2000))
    samples += [(50.0, 50.0)] * 3 + [(20.0, 70.0)]  # ties and exact edges
    samples.sort()
    xs = [x for x, _ in samples]
    for _ in range(300):
        x0, y0 = rng.choice([50.0, 20.0, rng.uniform(-10, 100)]), rng.choice([50.0, 70.0, rng.uniform(-10, 100)])
        x1, y1 = x0 + rng.choice([0.0, rng.uniform(0, 30)]), y0 + rng.choice([0.0, rng.uniform(0, 30)])
        brute = min(5, sum(1 for sx, sy in samples if x0 <= sx <= x1 and y0 <= sy <= y1))
        assert _count_in(samples, xs, x0, x1, y0, y1, 5) == brute


def test_one_figure_saved_as_png_and_svg_is_byte_identical_to_two_plots(tmp_path, monkeypatch):
    # `report` writes accuracy.png and accuracy.svg from one figure, drawn and labelled once
    # (it plotted twice before); the files are the same bytes as two separate plots.
    from archcalc.report import plots

    series = [("a", [1e8, 3e8, 6e8], [60.0, 68.5, 71.0], ["x", "y", "z"]),
              ("b", [2e8, 4e8], [65.0, 70.0], ["p", "q"])]
    args = ("macs", "top1", "t")
    plots.plot_series(series, *args, tmp_path / "one.png", logx=True)
    plots.plot_series(series, *args, tmp_path / "one.svg", logx=True)
    calls = []
    real = plots.label_points
    monkeypatch.setattr(plots, "label_points", lambda *a, **k: calls.append(1) or real(*a, **k))
    out = plots.plot_series(series, *args, [tmp_path / "both.png", tmp_path / "both.svg"], logx=True)
    assert calls == [1] and out == tmp_path / "both.svg"
    for ext in ("png", "svg"):
        assert (tmp_path / f"both.{ext}").read_bytes() == (tmp_path / f"one.{ext}").read_bytes()
