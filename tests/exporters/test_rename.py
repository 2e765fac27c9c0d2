"""The ``torch_names`` rules the exporter applies (no torch needed)."""

from __future__ import annotations

import pytest

from archcalc.api import analyze, load
from archcalc.errors import SpecError
from archcalc.exporters.torch_module import _rule, rename


def test_prefix_rule_keeps_the_rest_of_the_name():
    r = _rule("stem.conv", "conv1")
    assert r("stem.conv") == "conv1" and r("stem.conv.x") == "conv1.x"
    assert r("stem.convx") is None and r("stem") is None


def test_placeholders_match_a_component_or_part_and_count():
    r = _rule("stage{b}.dense.layer{i}", "features.denseblock{b + 1}.denselayer{i + 1}")
    assert r("stage2.dense.layer0.conv1") == "features.denseblock3.denselayer1.conv1"
    assert _rule("{s}.{b}.se", "{s}.{b}.2")("stage3.block1.se.fc") == "stage3.block1.2.fc"
    assert _rule("a{i}", "b{i - 1}")("a3") == "b2"


def test_placeholder_errors():
    with pytest.raises(ValueError, match="not a number"):
        _rule("{s}.x", "{s + 1}")("stem.x")
    with pytest.raises(ValueError, match="not in the pattern"):
        _rule("a.x", "{q}")("a.x")
    for key, value in (("a{i}", "b{i * 2}"), ("a{i", "b"), ("a{i + 1}", "b")):
        with pytest.raises(ValueError, match="cannot read the braces"):
            _rule(key, value)


def test_rules_apply_in_order_and_give_torchvision_names():
    net = rename(analyze("mobilenet_v2", resolution=64).network, load("mobilenet_v2").spec.torch_names)
    names = [lay.name for lay in net.layers if lay.op.op in ("conv2d", "batchnorm", "linear")]
    assert names[:3] == ["features.0.0", "features.0.1", "features.1.conv.0.0"]  # t = 1 block: no expand
    assert "features.3.conv.1.0" in names and names[-3:] == ["features.18.0", "features.18.1", "classifier.1"]
    net = rename(analyze("densenet", variant="169", resolution=64).network, load("densenet").spec.torch_names)
    names = {lay.name for lay in net.layers}
    assert {"features.denseblock4.denselayer32.conv2", "features.transition3.conv", "features.norm5",
            "classifier"} <= names


def test_a_map_that_merges_layers_is_a_located_error(tmp_path):
    from archcalc.exporters.torch_module import source

    p = tmp_path / "s.yaml"
    p.write_text("name: s\ninput: [3, 8, 8]\ntorch_names: {a: x, b: x}\nlayers:\n"
                 "  - {op: conv2d, name: a, out_channels: 4, kernel_size: 1}\n"
                 "  - {op: conv2d, name: b, out_channels: 4, kernel_size: 1}\n")
    with pytest.raises(SpecError) as e:
        source(str(p))
    assert "'a' and 'b' -> 'x'" in str(e.value) and "s.yaml:3" in str(e.value)
