"""Convention presets reproduce the real tools exactly, on fixtures measured by running them.

tests/fixtures/peers.json is written by tools/measure_peers.py (torch venv), which ran
fvcore, ptflops (both backends), thop, torchinfo and FlopCounterMode on torchvision models
and read torchvision's weight tables.  Here (no torch) every preset's total must equal the
recorded tool total exactly, and per layer where the tool reports layers.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from archcalc.api import analyze
from archcalc.conventions import ARCHCALC, PRESETS, Convention, Rule, get, layer_counts, layer_facts

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "peers.json").read_text())
MODELS = FIXTURES["models"]
TOOL_PRESETS = ("fvcore", "ptflops", "ptflops-aten", "thop", "torchinfo", "flopcounter")


ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def _analysis(key):
    rec = MODELS[key]
    if rec["spec"].endswith(".yaml"):  # the probe: a spec file at its own input size
        return analyze(ROOT / rec["spec"])
    return analyze(rec["spec"], variant=rec["variant"], resolution=rec["resolution"])


def _counts(key, preset):
    a = _analysis(key)
    return a, layer_counts(preset, a.network, a.layers, a.batch)


def test_fixtures_cover_the_assignment():
    assert {"resnet18", "resnet50", "wide_resnet50_2", "resnext50_32x4d", "densenet121", "mobilenet_v2",
            "efficientnet_b0", "efficientnet_b4", "convnext_tiny"} <= set(MODELS)
    assert any(r["resolution"] not in (224, 380) for r in MODELS.values())  # an off-nominal resolution
    assert FIXTURES["versions"]["ptflops"] == "0.7.5"


@pytest.mark.parametrize("key", sorted(MODELS))
@pytest.mark.parametrize("preset", TOOL_PRESETS)
def test_preset_total_equals_tool_total(key, preset):
    tool = MODELS[key]["tools"][preset]
    _, counts = _counts(key, preset)
    assert sum(counts) == tool["total"]


@pytest.mark.parametrize("key", sorted(k for k in MODELS if "torchvision" in MODELS[k]["tools"]))
def test_torchvision_gflops_column(key):
    _, counts = _counts(key, "torchvision")
    assert round(sum(counts) / 1e9, 3) == MODELS[key]["tools"]["torchvision"]["gflops"]
    # and the params column is archcalc's params (all learnables)
    assert _analysis(key).totals["params"] == MODELS[key]["tools"]["torchvision"]["params"]


#: torch module class -> archcalc op, for the per-layer comparison
CLASS_OP = {"Conv2d": "conv2d", "Linear": "linear", "BatchNorm2d": "batchnorm", "LayerNorm": "layernorm",
            "LayerNorm2d": "layernorm", "AvgPool2d": "avgpool", "AdaptiveAvgPool2d": "global_avgpool"}
#: per tool, the module classes whose per-module number is the whole of its count
#: (ptflops also counts pools through patched functionals, which are not per module)
PER_LAYER = {"fvcore": set(CLASS_OP), "thop": set(CLASS_OP), "torchinfo": set(CLASS_OP),
             "ptflops": {"Conv2d", "Linear", "BatchNorm2d", "LayerNorm", "LayerNorm2d"}}


@pytest.mark.parametrize("key", sorted(MODELS))
@pytest.mark.parametrize("tool", sorted(PER_LAYER))
def test_per_layer_counts_equal_the_tools(key, tool):
    """Module names differ between torchvision and the specs, so per op the multiset of
    per-layer counts must be equal (every conv, linear, norm and pool layer, one by one;
    layers a tool counts as 0 it may not list at all)."""
    rec = MODELS[key]["tools"][tool]
    a, counts = _counts(key, tool)
    theirs: dict[str, Counter] = {}
    for _name, cls, n in rec["layers"]:
        if cls in PER_LAYER[tool] and n:
            theirs.setdefault(CLASS_OP[cls], Counter())[n] += 1
    ours: dict[str, Counter] = {}
    for f, n in zip(layer_facts(a.network, a.layers), counts):
        if f.op in theirs and n and f.impl != "functional":  # a functional call is no module
            ours.setdefault(f.op, Counter())[n] += 1
    for op in theirs:
        assert ours.get(op) == theirs[op], (key, tool, op)


@pytest.mark.parametrize("tool", ["fvcore", "thop", "torchinfo", "ptflops"])
def test_probe_layer_by_layer(tool):
    """The probe's modules carry the spec's layer names: every layer's count, by name."""
    a, counts = _counts("probe", tool)
    ours = {c.name: n for c, n in zip(a.layers, counts)}
    theirs = {name: n for name, _cls, n in MODELS["probe"]["tools"][tool]["layers"]}
    if tool == "ptflops":  # module hooks only; the patched functionals' share is recorded apart
        functional = {"relu": 1024, "gelu": 1024, "mpool": 4096, "apool": 8192, "gpool": 1024,
                      "silu": 1024, "softmax": 10}
        assert sum(functional.values()) == MODELS["probe"]["tools"]["ptflops"]["functional"]
        ours = {k: v - functional.get(k, 0) for k, v in ours.items()}
        ours = {k: v for k, v in ours.items() if k in theirs or v}
    else:
        assert set(theirs) <= set(ours)
    assert {k: ours[k] for k in theirs} == theirs
    assert sum(v for k, v in ours.items() if k not in theirs) == 0


@pytest.mark.parametrize("key", sorted(MODELS))
def test_fvcore_by_operator(key):
    by_op = MODELS[key]["tools"]["fvcore"]["by_operator"]
    a, counts = _counts(key, "fvcore")
    ours = Counter()
    names = {"conv2d": "conv", "linear": "linear", "batchnorm": "batch_norm", "layernorm": "layer_norm",
             "groupnorm": "group_norm", "global_avgpool": "adaptive_avg_pool2d"}
    for c, n in zip(a.layers, counts):
        if n:
            ours[names[c.op]] += n
    assert dict(ours) == by_op


@pytest.mark.parametrize("key", sorted(MODELS))
def test_flopcounter_by_operator(key):
    by_op = MODELS[key]["tools"]["flopcounter"]["by_operator"]
    a, counts = _counts(key, "flopcounter")
    conv = sum(n for c, n in zip(a.layers, counts) if c.op == "conv2d")
    assert by_op["aten.convolution"] == conv
    assert sum(by_op.values()) - conv == sum(n for c, n in zip(a.layers, counts) if c.op == "linear")


def test_archcalc_preset_is_archcalc_flops_and_macs_preset_is_macs():
    a = _analysis("resnet50")
    assert sum(layer_counts("archcalc", a.network, a.layers)) == a.totals["flops"]
    assert sum(layer_counts("macs", a.network, a.layers)) == a.totals["macs"] == 4089184256
    assert sum(layer_counts("flops", a.network, a.layers)) == 2 * a.totals["macs"]


def test_the_quirks_are_where_the_tools_put_them():
    # ptflops counts ReLU twice (module hook + patched F.relu) but ReLU6 once
    assert PRESETS["ptflops"].rule_for("relu").terms == (("out", 1), ("in", 1))
    assert PRESETS["ptflops"].rule_for("relu6").terms == (("out", 1),)
    # torchinfo: ConvNeXt's channel-last Linear is counted per call, not per position: 93-96 % low
    a = _analysis("convnext_tiny")
    ti = sum(layer_counts("torchinfo", a.network, a.layers))
    assert 0.04 < ti / a.totals["macs"] < 0.08  # 3.5 % of the MACs...
    macs_wo_linear = a.totals["macs"] - sum(c.macs for c in a.layers if c.op == "linear")
    assert ti > macs_wo_linear


def test_rule_lookup_prefers_the_implementation_specific_rule():
    p = PRESETS["thop"]
    assert p.rule_for("global_avgpool", "functional").terms == ()
    assert p.rule_for("global_avgpool").terms == (("window_plus_one", 1),)
    assert p.rule_for("sigmoid").terms == () and "0" in p.rule_for("sigmoid").why


def test_a_training_rule_is_one_more_entry():
    base = PRESETS["thop"]
    extra = Rule("conv2d", (("macs", 3),), "forward + backward", pass_="training")
    trained = Convention(**{**base.__dict__, "rules": base.rules + (extra,)})
    a = _analysis("resnet18")
    f = layer_facts(a.network, a.layers)[0]
    assert trained.count(f) == base.count(f) == f.macs
    assert trained.count(f, "training") == 3 * f.macs
    assert base.passes == ("inference",) and trained.passes == ("inference", "training")


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match="unknown convention 'fvcor'.*fvcore"):
        get("fvcor")


def test_describe_is_todays_wording():
    """One sentence, byte-identical to what the headers, captions and footnotes said."""
    s = ARCHCALC.describe("analysis", batch=1, dtype="fp32")
    assert s.startswith("MACs = multiply-accumulates of conv and linear layers, zero-padded taps included")
    assert s.endswith("BN running stats are buffers; batch 1, dtype fp32.")
    assert ARCHCALC.describe("caption", batch=8, dtype="fp16").endswith(
        "computed by archcalc at each point; params = learnable parameters (weights, biases, norm affine, "
        "other); BN running stats are buffers; batch 8, fp16.")
    assert PRESETS["fvcore"].describe("preset").startswith("fvcore [fvcore 0.1.5.post20221221; unit")


def test_archcalc_convention_kinds_are_the_cost_kinds():
    from archcalc.ops import FLOP_KINDS

    assert ARCHCALC.flop_kinds == ("mul_add",) + FLOP_KINDS
    a = _analysis("resnet18")
    assert a.totals["flops_by_kind"]["mul_add"] == ARCHCALC.flops_per_mac * a.totals["macs"]


def test_docs_closing_table_is_current():
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("measure_peers", root / "tools" / "measure_peers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    doc = (root / "docs" / "conventions.md").read_text()
    current = doc.split("<!-- peers-table -->\n", 1)[1].split("<!-- /peers-table -->", 1)[0]
    table = mod.closing_table()
    assert current == table, "run: PYTHONPATH=. python tools/measure_peers.py --table"
    assert "≠" not in table


TRAINING = FIXTURES["training"]


@pytest.mark.parametrize("key", sorted(TRAINING))
def test_flopcounter_training_equals_flopcountermode_forward_backward(key):
    """FlopCounterMode around forward + backward (train mode), grouped-conv overcount included."""
    rec = TRAINING[key]
    a = analyze(rec["spec"], variant=rec["variant"], resolution=rec["resolution"], batch=rec["batch"])
    counts = layer_counts("flopcounter", a.network, a.layers, a.batch, "training")
    assert sum(counts) == rec["flopcounter"]["total"]
    by_op = rec["flopcounter"]["by_operator"]
    conv_fwd = sum(n for c, n in zip(a.layers, layer_counts("flopcounter", a.network, a.layers, a.batch))
                   if c.op == "conv2d")
    assert by_op["aten.convolution"] == conv_fwd
    assert by_op["aten.convolution"] + by_op["aten.convolution_backward"] == sum(
        n for c, n in zip(a.layers, counts) if c.op == "conv2d")


def test_training_rules_only_where_a_preset_has_them():
    a = _analysis("resnet18")
    assert PRESETS["flopcounter"].passes == ("inference", "training")
    with pytest.raises(ValueError, match="no training rules.*flopcounter"):
        layer_counts("thop", a.network, a.layers, pass_="training")
    # the depthwise overcount: MobileNetV2 at 224, batch 2 (docs/conventions.md, Note [FlopCounterMode groups])
    m = analyze("mobilenet_v2", batch=2)
    assert sum(layer_counts("flopcounter", m.network, m.layers, 2, "training")) == 24_559_401_984


def test_docs_training_table_is_the_fixtures():
    doc = (ROOT / "docs" / "conventions.md").read_text()
    for rec in TRAINING.values():
        assert f"| {rec['torchvision_model']} | {rec['flopcounter']['total']:,} | = |" in doc
