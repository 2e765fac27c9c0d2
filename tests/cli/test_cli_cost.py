"""CLI smoke tests: ``archcalc cost`` in every format, the JSON contract, ``specs`` and ``schema``.

Figures: MobileNet v1 at alpha = 0.75 has 325,400,448 MACs and 2,568,144 conv+FC
weights (shared/reference/published-numbers.md, Table 6 row; the paper prints
325M and 2.6M). All params add the 1000 classifier biases and the BN affine
parameters, 2 * 0.75 * 10944 BN channels = 16,416 (10944 = 32 + 4960 + 5952:
conv0, the depthwise inputs and the pointwise outputs at alpha = 1).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from archcalc.cli import app

MACS = 325_400_448
WEIGHTS = 2_568_144
PARAMS = WEIGHTS + 1000 + 16_416

runner = CliRunner()


def invoke(*args: str) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, (r.output, r.exception)
    return r.stdout


@pytest.fixture(scope="module")
def as_json():
    return json.loads(invoke("cost", "mobilenet", "--alpha", "0.75", "--format", "json"))


def test_table():
    out = invoke("cost", "mobilenet", "--alpha", "0.75")
    assert "conv0" in out and "325.4M" in out and "MACs" in out


def test_markdown():
    out = invoke("cost", "mobilenet", "--alpha", "0.75", "--format", "markdown")
    rows = [line for line in out.splitlines() if line.startswith("|")]
    assert rows and any("conv0" in r for r in rows)
    assert any(set(r.replace("|", "").strip()) <= set("-: ") for r in rows)  # the header rule


def test_latex():
    out = invoke("cost", "mobilenet", "--alpha", "0.75", "--format", "latex")
    assert "\\begin{tabular}" in out and "\\toprule" in out and "\\end{tabular}" in out
    assert "block0.sep.dw\\_bn" in out                                     # underscores escaped


def test_csv_has_exact_integers():
    out = invoke("cost", "mobilenet", "--alpha", "0.75", "--format", "csv", "--summary")
    rows = list(csv.DictReader(io.StringIO(out)))
    total = [r for r in rows if r["layer"] == "total"][0]
    assert int(total["MACs"]) == MACS and int(total["params"]) == PARAMS


def test_json_contract(as_json):
    d = as_json
    assert {"model", "variant", "vars", "input", "totals", "by_op", "layers"} <= set(d)
    assert d["model"] == "MobileNet v1" and d["variant"] is None and d["input"] == [3, 224, 224]
    assert d["vars"]["alpha"] == "3/4"
    t = d["totals"]
    for key in ("params", "macs", "flops", "buffers", "activations", "activations_conv_linear",
                "peak_activation_bytes"):
        assert isinstance(t[key], int), key
    assert t["macs"] == MACS and t["params"] == PARAMS
    assert t["params_by_kind"]["weights"] == WEIGHTS and t["params_by_kind"]["biases"] == 1000
    assert t["params_by_kind"]["norm_affine"] == 16_416 and t["buffers"] == 16_416
    assert t["flops"] >= 2 * MACS
    for op in ("conv2d", "batchnorm", "relu", "linear"):
        assert {"count", "params", "macs", "flops"} <= set(d["by_op"][op])
    assert d["by_op"]["conv2d"]["count"] == 27                                # conv0 + 13 dw + 13 pw
    assert d["by_op"]["conv2d"]["macs"] + d["by_op"]["linear"]["macs"] == MACS
    first = d["layers"][0]
    assert {"name", "op", "output", "params", "macs", "flops"} <= set(first)
    assert first["name"] == "conv0" and first["output"] == [24, 112, 112]     # int(32 * 0.75) = 24
    assert first["macs"] == 112 * 112 * 24 * 27


def test_json_symbolic():
    d = json.loads(invoke("cost", "mobilenet", "--symbols", "alpha,rho", "--format", "json"))
    assert isinstance(d["totals"]["macs"], str) and "alpha**2*rho**2" in d["totals"]["macs"]


def test_batch_and_dtype():
    d = json.loads(invoke("cost", "mobilenet", "--alpha", "3/4", "--batch", "2", "--dtype", "fp16",
                          "--format", "json", "--summary"))
    assert d["totals"]["macs"] == 2 * MACS and d["totals"]["params"] == PARAMS
    assert d["totals"]["param_bytes"] == 2 * PARAMS


def test_specs_lists_mobilenet():
    out = invoke("specs")
    assert "mobilenet" in out and "MobileNet v1" in out
    listed = json.loads(invoke("specs", "--format", "json"))
    assert any(s["spec"] == "mobilenet" for s in listed)


def test_schema_is_valid_json():
    schema = json.loads(invoke("schema"))
    assert "layers" in schema["properties"] and "input" in schema["required"]


def test_layer_selection_json_and_subtotal():
    # slim mobilenet_v1.py docstring: Conv2d_13_pointwise 1,048,576 params, 51,380,224 MACs;
    # Conv2d_13_depthwise 9,216 params, 451,584 MACs (our block12 = the paper's 13th separable layer).
    data = json.loads(invoke("cost", "mobilenet", "--layer", "block12.sep.?w", "--format", "json"))
    got = {r["name"]: (r["params"], r["macs"]) for r in data["layers"]}
    assert got == {"block12.sep.dw": (9216, 451584), "block12.sep.pw": (1048576, 51380224)}
    assert data["layers"][0]["activation_bytes"] == 1024 * 7 * 7 * 4
    assert data["totals"]["macs"] == 568740352  # totals stay the whole network's
    text = invoke("cost", "mobilenet", "--layer", "block12")
    selected = next(line for line in text.splitlines() if line.startswith("selected"))
    assert "6 layers" in selected and "51.83M" in selected  # 451,584 + 51,380,224 MACs


def test_layer_selection_that_matches_nothing_is_an_error(capsys):
    from archcalc.cli import main

    with pytest.raises(SystemExit) as e:
        main(["cost", "mobilenet", "--layer", "nope"])
    assert e.value.code == 2
    assert "--layer: no layer of MobileNet v1 matches nope" in capsys.readouterr().err
