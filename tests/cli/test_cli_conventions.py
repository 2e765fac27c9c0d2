"""``cost --convention``, ``compare --conventions``, ``explain --between`` and ``conventions``.

Expected figures are the real tools' outputs recorded in tests/fixtures/peers.json
(tools/measure_peers.py): ResNet-50 at 224 is 4,111,512,576 fvcore flops and
4,133,742,592 thop MACs; MobileNetV2 314,193,216 and 327,486,720.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from archcalc.cli import app, main

runner = CliRunner()
FX = json.loads((__import__("pathlib").Path(__file__).parents[1] / "fixtures" / "peers.json").read_text())
R50 = FX["models"]["resnet50"]["tools"]


def invoke(*args: str) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, (r.output, r.exception)
    return r.stdout


def fails(*args: str) -> str:
    """Run the real entry point: a bad argument is one line on stderr and exit status 2."""
    import contextlib

    err = io.StringIO()
    with pytest.raises(SystemExit) as e, contextlib.redirect_stderr(err):
        main(list(args))
    assert e.value.code == 2
    return err.getvalue()


def test_cost_convention_json_adds_the_preset_and_keeps_everything_else():
    plain = json.loads(invoke("cost", "resnet", "-v", "50", "--format", "json"))
    d = json.loads(invoke("cost", "resnet", "-v", "50", "--format", "json", "--convention", "fvcore"))
    assert d["convention"] == {"name": "fvcore", "unit": "fvcore 'flops' (1 per MAC)", "tool": "fvcore",
                               "tool_version": FX["versions"]["fvcore"], "total": R50["fvcore"]["total"]}
    assert d["totals"] == plain["totals"] and d["conventions"] == plain["conventions"]
    assert sum(r["convention_count"] for r in d["layers"]) == 4_111_512_576
    assert {k for r in d["layers"] for k in r} - {k for r in plain["layers"] for k in r} == {"convention_count"}
    by = {r["name"]: r["convention_count"] for r in d["layers"]}
    assert by["stem.bn"] == 2 * 64 * 112 * 112 and by["stem.relu"] == 0 and by["stem.conv"] == 118_013_952


def test_cost_convention_table_names_preset_unit_and_version():
    out = invoke("cost", "resnet", "-v", "50", "--convention", "thop")
    assert "Convention: thop [thop 0.1.1-2209072238; unit thop MACs]" in out
    assert "thop total (thop MACs): 4,133,742,592" in out
    assert "thop count" in out.splitlines()[4]
    rows = list(csv.reader(io.StringIO(invoke("cost", "resnet", "-v", "50", "-c", "torchinfo", "-f", "csv"))))
    assert rows[0][-1] == "torchinfo count" and rows[-1][-1] == str(R50["torchinfo"]["total"])


def test_cost_convention_typo_is_one_line_exit_2():
    out = fails("cost", "resnet", "--convention", "fvcor")
    assert out.strip().count("\n") == 0 and "choose from" in out and "fvcore" in out
    assert "HTML page does not show" in fails("cost", "resnet", "-c", "fvcore", "-f", "html")


def test_compare_one_column_per_preset():
    out = invoke("compare", "resnet:50", "mobilenet_v2", "--conventions", "fvcore,thop,ptflops", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["network"] for r in rows] == ["ResNet", "MobileNetV2"]
    assert int(rows[0]["fvcore (fvcore 'flops' (1 per MAC))"]) == 4_111_512_576
    assert int(rows[1]["thop (thop MACs)"]) == FX["models"]["mobilenet_v2"]["tools"]["thop"]["total"]
    assert int(rows[1]["ptflops (ptflops MACs)"]) == FX["models"]["mobilenet_v2"]["tools"]["ptflops"]["total"]
    text = invoke("compare", "resnet:50", "--conventions", "archcalc,torchinfo")
    assert "torchinfo [torchinfo 1.8.0; unit torchinfo mult-adds]" in text
    assert "unknown preset" in fails("compare", "resnet:50", "--conventions", "fvcore,nope")


def test_explain_rows_sum_exactly_to_the_difference():
    d = json.loads(invoke("explain", "resnet:50", "--between", "fvcore", "thop", "-f", "json"))
    assert d["a"]["total"] == 4_111_512_576 and d["b"]["total"] == 4_133_742_592
    assert d["difference"] == 4_111_512_576 - 4_133_742_592
    assert sum(r["difference"] for r in d["by_op"]) == d["difference"]
    assert sum(r["difference"] for r in d["by_layer"]) == d["difference"]
    ops = {r["op"]: r for r in d["by_op"]}
    assert set(ops) == {"batchnorm", "global_avgpool"}  # conv/linear MACs agree; the rest both 0
    assert ops["global_avgpool"]["difference"] == 2048 * 49 - 2048 * 50
    assert "count_normalization" in ops["batchnorm"]["rule_b"]


@pytest.mark.parametrize("a,b,model", [("ptflops", "torchinfo", "convnext"), ("archcalc", "fvcore", "densenet")])
def test_explain_text_sums_with_top(a, b, model):
    out = invoke("explain", model, "--between", a, b, "--top", "3")
    lines = out.splitlines()
    diff = lines[0].split("(difference ")[1].split(" ")[0].rstrip(",").lstrip("+")
    sums = [line.split()[-1] for line in lines if line.startswith("sum")]
    assert sums == [diff, diff]  # the by-op and the by-layer table both add up to it
    assert "other layers" in out
    d = json.loads(invoke("explain", model, "--between", a, b, "-f", "json"))
    assert d["difference"] == int(diff.replace(",", ""))


def test_conventions_lists_every_preset_with_version():
    out = invoke("conventions")
    for name in ("archcalc", "macs", "flops", "paper", "flopcounter", "torchvision", "fvcore", "ptflops",
                 "ptflops-aten", "thop", "torchinfo"):
        assert f"\n{name}  [" in "\n" + out
    assert "ptflops  [ptflops 0.7.5; unit: ptflops MACs]" in out
    d = json.loads(invoke("conventions", "-f", "json"))
    assert {p["name"] for p in d} >= {"fvcore", "thop"}
    rules = invoke("conventions", "ptflops")
    assert "F.relu" in rules and "relu6" in rules
    assert "unknown preset" in fails("conventions", "nope")


def test_cost_training_with_the_flopcounter_preset():
    d = json.loads(invoke("cost", "resnet", "-v", "18", "-r", "64", "-b", "2", "--training", "-c", "flopcounter",
                          "-f", "json"))
    assert d["convention"]["pass"] == "training"
    assert d["convention"]["total"] == FX["training"]["resnet18"]["flopcounter"]["total"] == 1_744_158_720
    assert "no training rules" in fails("cost", "resnet", "--training", "-c", "fvcore")
