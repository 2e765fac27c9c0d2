"""`archcalc prove` / `homework`: an unknown --format is rejected before deriving anything."""

from __future__ import annotations

import pytest

from archcalc.cli import main


def _run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    return e.value.code, capsys.readouterr()


@pytest.mark.parametrize("argv", [["prove", "compound-scaling", "-f", "pdf"], ["prove", "dsc", "-f", "pdf"],
                                  ["homework", "dsc", "-f", "pdf"]])
def test_unknown_proof_format_fails_before_deriving(argv, capsys, monkeypatch):
    import archcalc.proofs.compound as compound
    import archcalc.proofs.dsc as dsc
    import archcalc.proofs.homework as hw

    def boom(*a, **k):
        raise AssertionError("derived before the format was checked")

    monkeypatch.setattr(compound, "prove_compound", boom)
    monkeypatch.setattr(dsc, "prove_dsc", boom)
    monkeypatch.setattr(hw, "answer", boom)
    code, cap = _run(argv, capsys)
    assert code == 2 and "'pdf' is not one of 'table', 'markdown', 'latex', 'json'" in cap.err
