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
