"""archcalc.api: Analysis holds its loaded spec, point and published-figure checks; nothing reloads."""

from __future__ import annotations

import json

import pytest

import archcalc.api as api
import archcalc.spec.loader as loader
from archcalc.api import analyze, load
from archcalc.errors import SpecError


def _no_loading(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("the spec was loaded again")

    monkeypatch.setattr(loader, "load", refuse)
    monkeypatch.setattr(api, "_load", refuse)


def test_analysis_holds_what_it_was_computed_from():
    spec = load("mobilenet")
    a = analyze(spec, vars={"alpha": "0.75"})
    assert a.loaded is spec and a.spec_path == str(spec.path)
    assert str(a.point.vars["alpha"]) == "3/4" and a.point.variant is None


def test_checks_and_tables_never_load_the_spec_again(monkeypatch):
    a = analyze("mobilenet")
    _no_loading(monkeypatch)
    checks = a.checks()
    assert checks is a.checks()  # computed once
    # Howard et al. 2017 Table 6: 569M mult-adds, 4.2M params for 1.0 MobileNet-224
    paper = next(c for c in checks if c.ref.source.startswith("Howard et al. 2017"))
    assert (paper.macs_fig.text, paper.macs_ok, paper.params_fig.text, paper.params_ok) == ("569M", True, "4.2M", True)
    assert "published [howard2017] (Howard et al. 2017, Table 6" in a.table("table", per_layer=False)


def test_checks_are_only_those_recorded_at_the_point():
    assert analyze("mobilenet", vars={"alpha": "0.3"}).checks() == []
    assert analyze("mobilenet", batch=2).checks() == []  # figures are per image
    assert analyze("mobilenet", symbolic=True).checks() == []
    half = analyze("mobilenet", vars={"alpha": "0.5"}).checks()
    assert half and all(c.ref.vars.get("alpha") in (0.5, "0.5", "1/2") for c in half)


def test_the_study_layer_analyses_each_point_once(monkeypatch):
    from archcalc import study

    study.clear_cache()
    calls = []
    real = study.analyze
    monkeypatch.setattr(study, "analyze", lambda *a, **k: calls.append(k) or real(*a, **k))
    study.compare_rows(["mobilenet", "mobilenet"])
    study.sweep_rows("mobilenet", [("alpha", ["1", "0.5"])])
    assert len(calls) == 2  # alpha 1 (shared by all three rows) and alpha 0.5


def test_json_contract_and_select():
    a = analyze("mobilenet")
    d = json.loads(a.to_json())
    assert d["totals"]["macs"] == 568740352 and d["model"] == "MobileNet v1" and len(d["layers"]) == 84
    with pytest.raises(SpecError, match="no layer of MobileNet v1 matches"):
        a.select(["nonexistent*"])
