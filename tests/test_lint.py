"""``archcalc lint``: one test per rule (the mistake is flagged, the fix silences it), bundled specs clean."""

from __future__ import annotations

import pytest

from archcalc.api import analyze
from archcalc.lint import RULES, lint

BASE = """\
name: t
vars:
  width: 1
{vars}
input: [3, 32, 32]
blocks:
  ib:
    args: {{out_channels: null, expansion: 4, act: "'relu'"}}
    let: {{hidden: "in_channels * expansion", block_in: in_channels}}
    body:
      - {{op: conv2d, name: expand, out_channels: hidden, kernel_size: 1, bias: false}}
      - {{op: batchnorm, name: expand_bn, if: "{bn_if}"}}
      - {{op: relu, name: act, if: "act == 'relu'"}}
      - {{op: conv2d, name: dw, out_channels: hidden, kernel_size: 3, padding: 1, groups: hidden, bias: {bias}}}
      - {{op: batchnorm, name: dw_bn}}
      - {{op: conv2d, name: project, out_channels: out_channels, kernel_size: 1, bias: false}}
{variants}
layers:
  - {{op: conv2d, name: stem, out_channels: "16 * width", kernel_size: 3, padding: 1, bias: false}}
  - {{block: ib, out_channels: 24}}
"""
CLEAN = dict(vars="", bn_if="block_in != hidden", bias="false", variants="")


def _spec(tmp_path, name="t", **change) -> str:
    p = tmp_path / f"{name}.yaml"
    p.write_text(BASE.format(**{**CLEAN, **change}))
    return str(p)


def _rules(path) -> list[tuple[str, int]]:
    return [(f.rule, f.loc.line) for f in lint(path)]


def test_the_clean_spec_is_clean(tmp_path):
    assert lint(_spec(tmp_path)) == []


def test_if_reading_the_entrys_in_channels_inside_a_block(tmp_path):
    # the new user's MobileNetV3 mistake: after the expand conv, in_channels is already `hidden`
    bad = _spec(tmp_path, bn_if="in_channels != hidden")
    assert ("if-reads-entry-input", 12) in _rules(bad)
    assert ("never-built", 12) in _rules(bad)
    lost = analyze(bad).totals
    good = analyze(_spec(tmp_path, "good")).totals
    assert lost["macs"] == good["macs"] and good["params"] - lost["params"] == 2 * 64  # BN gamma+beta of 64
    assert ":12: [if-reads-entry-input] block 'ib': batchnorm 'expand_bn': if: reads in_channels" in str(lint(bad)[0])


def test_never_built_op(tmp_path):
    path = tmp_path / "n.yaml"
    path.write_text(BASE.format(**CLEAN).replace("act == 'relu'", "act == 'relu6'"))
    assert _rules(path) == [("never-built", 13)]


def test_unused_block_argument(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(BASE.format(**CLEAN).replace("act: \"'relu'\"}", "act: \"'relu'\", kernel_size: 5}"))
    assert _rules(path) == [("unused-arg", 8)]


def test_unused_var(tmp_path):
    assert _rules(_spec(tmp_path, vars="  dropout: 0.2")) == [("unused-var", 4)]


def test_conv_bias_before_batchnorm(tmp_path):
    bad = _spec(tmp_path, bias="true")
    (f,) = lint(bad)
    assert (f.rule, f.loc.line) == ("bias-before-batchnorm", 14)
    assert "64 params" in f.message
    assert analyze(bad).totals["params"] - analyze(_spec(tmp_path, "good")).totals["params"] == 64


def test_identical_variants(tmp_path):
    variants = "variants:\n  small: {width: 1}\n  large: {width: 2}\n  huge: {width: 2}"
    assert _rules(_spec(tmp_path, variants=variants)) == [("identical-variants", 20)]


def test_every_rule_is_tested_here():
    import inspect
    import sys

    src = inspect.getsource(sys.modules[__name__])
    assert all(f'"{rule}"' in src for rule in RULES)


@pytest.mark.parametrize("spec", ["mobilenet", "mobilenet_v2", "efficientnet", "resnet", "senet", "densenet"])
def test_bundled_specs_are_clean(spec):
    assert lint(spec) == []


def test_cli_exit_status(tmp_path):
    from typer.testing import CliRunner

    from archcalc.cli import app

    r = CliRunner().invoke(app, ["lint", _spec(tmp_path, vars="  dropout: 0.2")])
    assert r.exit_code == 1 and "[unused-var] var 'dropout'" in r.stdout
    assert CliRunner().invoke(app, ["lint", "mobilenet"]).exit_code == 0
