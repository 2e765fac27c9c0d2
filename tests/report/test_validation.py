"""archcalc.report.validation: validate's results rendered without running anything."""

from __future__ import annotations

import json
from types import SimpleNamespace as NS

from archcalc.report.validation import validation_report, validation_runs


def _layer(name, ok=True, counted=10):
    return NS(name=name, op="conv2d", static_shape=(8, 4, 4), executed_shape=(8, 4, 4), static_macs=10,
              counted_macs=counted, static_activations=128, observed_activations=128,
              static_params={"weights": 72}, allocated_params={"weights": 72}, static_buffers=0,
              allocated_buffers=0, ok=ok)


def _report(ok=True):
    layers = [_layer("c1"), _layer("c2", ok=ok, counted=10 if ok else 11)]
    return NS(model="Tiny", variant=None, input=(3, 4, 4), batch=1, layers=layers, ok=ok, seconds=0.25,
              peak={"predicted": 2048, "predicted_at": "c1", "measured": 2048, "measured_at": "c1"},
              total_params=144, buffers={"static": 0, "allocated": 0},
              params={"static": {"weights": 144}, "allocated": {"weights": 144}},
              summary=lambda: "OK" if ok else "DIFF at c2", to_dict=lambda: {"model": "Tiny", "ok": ok})


def test_report_table_and_verdict():
    text = validation_report(_report(), "table")
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["layer", "op", "static", "shape"]
    assert lines[2].split() == ["c1", "conv2d", "8x4x4", "8x4x4", "10", "10", "128", "128", "72", "72", "0", "0", "ok"]
    assert lines[-6:] == [
        "Tiny, input 3x4x4, batch 1, fp32, seed-random weights",
        "peak live activations: predicted 2048 B (2 KiB, at c1), measured 2048 B (2 KiB, at c1)",
        "params 144 (buffers 0, not params)",
        "params by kind: static weights 144; allocated weights 144",
        "buffers: static 0, allocated 0",
        "OK  (0.25 s)"]
    assert validation_report(_report(), "table", per_layer=False).splitlines()[0].startswith("Tiny, input")


def test_report_csv_is_the_table_alone_and_json_the_document():
    csv = validation_report(_report(ok=False), "csv")
    assert csv.splitlines()[2] == "c2,conv2d,8x4x4,8x4x4,10,11,128,128,72,72,0,0,DIFF" and csv.endswith("\n")
    assert json.loads(validation_report(_report(), "json")) == {"model": "Tiny", "ok": True}


def test_runs_rows_failures_and_count():
    text = validation_runs([("tiny", _report()), ("bad", _report(ok=False))], [("x", "v1", "x.yaml:3: boom")])
    lines = text.splitlines()
    assert lines[2].split() == ["tiny", "-", "3x4x4", "2", "20", "2048/2048", "144", "0", "0.25", "ok"]
    assert lines[3].split()[4:7] == ["20", "vs", "21"]
    assert lines[-3:] == ["bad : DIFF at c2", "x v1: x.yaml:3: boom", "1/3 configurations agree (0.5 s executing, summed over the configurations)"]
    doc = json.loads(validation_runs([("tiny", _report())], [("x", None, "boom")], "json"))
    assert doc == {"ok": False, "runs": [{"model": "Tiny", "ok": True, "spec": "tiny"}],
                   "errors": [{"spec": "x", "variant": None, "error": "boom"}]}
