"""Regression tests of the code-review fixes in reporting and the proof commands.

1. a figure drawn at ``--batch 8 --dtype fp16`` says so: its axes count per batch of 8 and its
   caption names batch 8, fp16 (it used to claim "per image" and "batch 1, fp32");
2. ``prove``/``homework`` reject an unknown ``--format`` before deriving anything, and
   ``sweep --plot`` rejects an unknown ``--x``/``--y`` before sweeping;
3. a bundled spec that fails to load is an error in ``homework``, not "not bundled yet".
"""

from __future__ import annotations

import pytest

from archcalc.cli import main
from archcalc.errors import SpecError


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


def test_breakdown_figure_names_batch(tmp_path, capsys):
    out = tmp_path / "layers.svg"
    code, _ = _run(["breakdown", "mobilenet", "--batch", "4", "--plot", str(out)], capsys)
    assert code == 0
    svg = out.read_text()
    assert "MACs per batch of 4" in svg and "batch 4, fp32" in svg and "per image" not in svg


@pytest.mark.parametrize("argv", [["prove", "compound-scaling", "-f", "pdf"], ["prove", "dsc", "-f", "pdf"],
                                  ["homework", "dsc", "-f", "pdf"]])
def test_unknown_proof_format_fails_before_deriving(argv, capsys, monkeypatch):
    import archcalc.symbolic.compound as compound
    import archcalc.symbolic.dsc as dsc
    import archcalc.symbolic.homework as hw

    def boom(*a, **k):
        raise AssertionError("derived before the format was checked")

    monkeypatch.setattr(compound, "prove_compound", boom)
    monkeypatch.setattr(dsc, "prove_dsc", boom)
    monkeypatch.setattr(hw, "answer", boom)
    code, cap = _run(argv, capsys)
    assert code == 2 and "'pdf' is not one of 'table', 'markdown', 'latex', 'json'" in cap.err


def test_sweep_rejects_unknown_plot_column_before_sweeping(tmp_path, capsys, monkeypatch):
    import archcalc.report.sweep as sweep

    monkeypatch.setattr(sweep, "sweep_rows", lambda *a, **k: pytest.fail("swept before --y was checked"))
    code, cap = _run(["sweep", "mobilenet", "--alpha", "1,1/2", "--plot", str(tmp_path / "g.png"), "--y", "gflops"],
                     capsys)
    assert code == 2 and "Invalid value for '--y': 'gflops' is not one of 'input'" in cap.err


def test_broken_bundled_spec_is_an_error_not_missing(tmp_path, monkeypatch):
    import archcalc.spec.loader as loader
    import archcalc.symbolic.homework as hw

    (tmp_path / "densenet.yaml").write_text("name: broken\nnot_a_field: 1\n")
    monkeypatch.setattr(loader, "bundled_dir", lambda: tmp_path)
    assert hw._load_or_none("senet") is None  # not bundled in tmp_path: honestly missing
    with pytest.raises(SpecError):
        hw._load_or_none("densenet")
