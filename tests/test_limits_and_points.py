"""Limits that keep a hostile spec cheap, and how vars, variants and --resolution combine."""

from __future__ import annotations

import time

import pytest

from archcalc.api import analyze
from archcalc.errors import GraphError, ShapeError, SpecError


def write(tmp_path, text: str):
    p = tmp_path / "net.yaml"
    p.write_text(text)
    return p


def test_nested_repeats_are_refused_before_expanding(tmp_path):
    p = write(tmp_path, "name: bomb\ninput: [3, 8, 8]\nlayers:\n  - repeat: 100000\n    body:\n"
                        "      - repeat: 100000\n        body:\n          - {op: relu}\n")
    t = time.process_time()
    with pytest.raises(GraphError, match=r"expands to at least 10,000,100,001 entries .* before any is "
                                         r"built; the limit is 2,000,000") as e:
        analyze(p)
    assert time.process_time() - t < 5  # refused up front, not after building 200,000 layers
    assert e.value.loc.line == 4


def test_a_repeat_that_would_pass_the_layer_limit_is_refused_before_building(tmp_path):
    """The count comes from a block argument (so the up-front expansion bound cannot see it) and
    some entries carry ``if:``: the repeat still knows, before building any iteration, that
    100,000 iterations of at least 3 layers pass the limit (it used to build 200,000 layers first).
    Entries whose ``if:`` reads the index or an argument the bound cannot see are not counted."""
    p = write(tmp_path, "name: deep\ninput: [3, 8, 8]\nvars: {depth: 100000}\nblocks:\n"
                        "  unit:\n    args: {deep: null}\n    body:\n"
                        "      - {op: relu}\n      - {op: relu}\n      - {op: relu}\n"
                        "      - {op: relu, if: deep}\n      - {op: relu, if: 'not deep'}\n"
                        "  stage:\n    args: {n: null, deep: null}\n    body:\n"
                        "      - repeat: n\n        as: i\n        body:\n"
                        "          - {block: unit, deep: deep}\n"
                        "          - {block: unit, deep: deep, if: 'i > 0'}\n"
                        "layers:\n  - {block: stage, n: depth, deep: false}\n")
    t = time.process_time()
    with pytest.raises(GraphError, match=r"this repeat adds at least 300,000 layers \(100,000 iterations of at "
                                         r"least 3\), before any is built; the network limit is 200,000") as e:
        analyze(p)
    assert time.process_time() - t < 1
    assert e.value.loc.line == 16  # the repeat's own line
    assert len(analyze(p, vars={"depth": 3}).layers) == 4 + 8 + 8  # a small one builds as before


def test_absurd_sizes_are_refused(tmp_path):
    p = write(tmp_path, "name: big\ninput: [3, 8, 8]\nlayers:\n"
                        "  - {op: conv2d, out_channels: '2**40', kernel_size: 1}\n")
    with pytest.raises(SpecError, match=r"conv2d: 'out_channels' must be at most 2\*\*31 \(the largest tensor "
                                        r"dimension\), got 1099511627776"):
        analyze(p)


def test_resolution_and_a_var_of_the_input_expression_clash():
    # MobileNet's input is round(224 * rho): --resolution would silently discard rho.
    with pytest.raises(SpecError, match="give either the resolution or rho"):
        analyze("mobilenet", vars={"rho": "1/2"}, resolution="160")
    assert analyze("mobilenet", resolution="160").network.input_shape == (3, 160, 160)


def test_vars_are_evaluated_in_order(tmp_path):
    p = write(tmp_path, "name: c\nvars: {a: 'b', b: 1}\ninput: [3, 8, 8]\nlayers: [{op: relu}]\n")
    with pytest.raises(SpecError, match="a var can use only the vars above it") as e:
        analyze(p)
    assert e.value.loc.line == 2


def test_derived_vars_follow_their_symbols():
    # width_mult = beta ** phi: with phi = 1 the ideal EfficientNet is exactly 1.1x wide, and the
    # symbolic model in beta evaluated at 1.1 equals the numeric model.
    import sympy

    num = analyze("efficientnet", vars={"phi": "1", "alpha": "1", "gamma": "1"}, symbolic=False)
    sym = analyze("efficientnet", vars={"phi": "1", "alpha": "1", "gamma": "1"}, symbolic=True,
                  symbols=["beta"])
    beta = sympy.Symbol("beta", positive=True)
    assert sym.network.vars["width_mult"] == beta
    assert num.network.vars["width_mult"] == sympy.Rational(11, 10)


def test_shape_errors_name_the_settings_that_led_there():
    with pytest.raises(ShapeError, match=r"out_channels must be >= 1, got 0 \(with alpha=0\)") as e:
        analyze("mobilenet", vars={"alpha": "0"})
    assert e.value.loc.file.endswith("mobilenet.yaml") and e.value.loc.line > 1


def test_empty_block_name_gives_torchvision_layer_names():
    # torchvision resnet50: layer1.0.conv1 (64 -> 64, 1x1), layer1.0.downsample.0 (64 -> 256, 1x1)
    a = analyze("resnet", variant="50")
    names = {c.name: c for c in a.layers}
    assert names["layer1.0.conv1"].params == 64 * 64
    assert names["layer1.0.downsample.0"].params == 64 * 256
    assert names["layer4.2.conv3"].output == (2048, 7, 7)
    assert names["layer1.0.conv1"].blocks[-1] == "layer1.0"


def test_errors_stay_on_one_line_when_a_value_spans_lines(tmp_path):
    # Found by a long hypothesis run: a YAML block scalar put a newline into the message.
    p = write(tmp_path, "name: n\ninput: [3, 'A\n\n  ', 8]\nlayers: [{op: relu}]\n")
    with pytest.raises(SpecError) as e:
        analyze(p)
    assert "\n" not in str(e.value) and "unknown name 'A'" in str(e.value)


def test_folded_expressions_are_one_expression():
    from archcalc.spec.expr import evaluate

    assert evaluate("2 +\n   3", {}) == 5
