"""`archcalc breakdown`: its figure names the batch."""

from __future__ import annotations

import pytest

from archcalc.cli import main


def _run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    return e.value.code, capsys.readouterr()


def test_breakdown_figure_names_batch(tmp_path, capsys):
    out = tmp_path / "layers.svg"
    code, _ = _run(["breakdown", "mobilenet", "--batch", "4", "--plot", str(out)], capsys)
    assert code == 0
    svg = out.read_text()
    assert "MACs per batch of 4" in svg and "batch 4, fp32" in svg and "per image" not in svg
