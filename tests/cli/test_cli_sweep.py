"""`archcalc sweep`: figures name batch and dtype; an unknown --x/--y is rejected before sweeping."""

from __future__ import annotations

import pytest

from archcalc.cli import main


def _run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    return e.value.code, capsys.readouterr()


def test_sweep_figure_names_batch_and_dtype(tmp_path, capsys):
    out = tmp_path / "grid.svg"
    code, _ = _run(["sweep", "mobilenet", "--alpha", "1,1/2", "--batch", "8", "--dtype", "fp16", "--columns", "macs",
                    "--plot", str(out)], capsys)
    assert code == 0
    svg = out.read_text()
    assert "per batch of 8" in svg and "per image" not in svg
    assert "batch 8, fp16" in svg and "batch 1" not in svg


def test_sweep_rejects_unknown_plot_column_before_sweeping(tmp_path, capsys, monkeypatch):
    import archcalc.study as sweep

    monkeypatch.setattr(sweep, "sweep_rows", lambda *a, **k: pytest.fail("swept before --y was checked"))
    code, cap = _run(["sweep", "mobilenet", "--alpha", "1,1/2", "--plot", str(tmp_path / "g.png"), "--y", "gflops"],
                     capsys)
    assert code == 2 and "Invalid value for '--y': 'gflops' is not one of 'input'" in cap.err
