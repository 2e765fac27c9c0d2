"""Scaling in the layer count (issue 16): memory per layer, the build memo, sparse line records.

Timing targets are measured by ``benchmarks/scaling.py`` (not here: the machine is shared);
these tests check the mechanisms deterministically (tracemalloc bytes, call counts).
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path

import pytest

from archcalc import graph
from archcalc.api import analyze
from archcalc.errors import SpecError
from archcalc.spec.loader import Source, load_text, parse_yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from scaling import spec_text  # noqa: E402


@pytest.mark.parametrize("shape, form, limit", [
    ("chain", "repeat", 1200), ("resid", "repeat", 1200),
    ("chain", "explicit", 4000), ("resid", "explicit", 4000),
])
def test_peak_python_memory_per_layer(shape, form, limit):
    """Load + analyze of 3,000 generated layers: peak traced bytes per layer. Before issue 16's
    scaling work: ~2,550 B (repeat) and ~4,600-4,900 B (explicit); now ~780 and ~2,800-3,000."""
    text = spec_text(shape, form, 3000)
    analyze(load_text(spec_text(shape, form, 30)))  # first-use caches outside the measurement
    gc.collect()
    tracemalloc.start()
    try:
        a = analyze(load_text(text))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(a.layers) >= 2999
    assert peak / len(a.layers) < limit


def test_repeated_entries_are_resolved_once(monkeypatch):
    """A repeat of 500 (conv, relu) iterations evaluates each body entry once per distinct
    input: the layers share one resolved op, and the counts are those of 500 convs."""
    calls = []
    real = graph._Builder.resolve_op

    def counting(self, e, scope):
        calls.append(e.op)
        return real(self, e, scope)

    monkeypatch.setattr(graph._Builder, "resolve_op", counting)
    a = analyze(load_text(spec_text("chain", "repeat", 1000)))
    assert len(a.layers) == 1000
    assert calls == ["conv2d", "relu"]
    layers = a.network.layers
    assert layers[0].op is layers[998].op and layers[1].op is layers[999].op
    # conv 3x3, 16 -> 16 channels on 8x8, bias: 16*16*9 + 16 params, 16*8*8*16*9 MACs each
    assert a.totals["params"] == 500 * (16 * 16 * 9 + 16)
    assert a.totals["macs"] == 500 * 16 * 8 * 8 * 16 * 9


def test_fields_are_resolved_once_per_value_not_per_input_shape(monkeypatch):
    """DenseNet-121: every dense layer reads a different channel count, but only the
    transition convs' fields (``floor(compression * in_channels)``) read it. The other
    entries' fields are evaluated once each and their resolved op is shared across input
    shapes; the output shapes (and so the counts) are still per layer."""
    calls = []
    real = graph._Builder.resolve_op

    def counting(self, e, scope):
        calls.append(e.op)
        return real(self, e, scope)

    monkeypatch.setattr(graph._Builder, "resolve_op", counting)
    a = analyze("densenet", variant="121")
    # stem conv, each dense layer's 1x1 and 3x3 conv, three transition convs (256, 512, 1024 in)
    assert calls.count("conv2d") == 6
    assert len(calls) == 14 and len(a.layers) == 427
    norms = [lay for lay in a.network.layers if lay.op.op == "batchnorm"]
    assert len({id(lay.op) for lay in norms}) == 1
    assert len({lay.in_shapes[0] for lay in norms}) > 50  # one op, many input shapes
    assert a.totals["params"] == 7_978_856  # torchvision's densenet121 num_params


def test_memo_key_sees_the_input_shape_names_a_field_reads():
    """A field that reads ``in_channels``, ``H`` or ``W`` is resolved again for each value."""
    spec = ("name: m\ninput: [4, 12, 12]\nlayers:\n"
            "  - repeat: 2\n    body:\n"
            "      - {op: conv2d, out_channels: 'in_channels * 2', kernel_size: 1}\n"
            "      - {op: maxpool, kernel_size: 'H / 6', stride: 'W / 6'}\n")
    a = analyze(load_text(spec))
    assert [c.output for c in a.layers] == [(8, 12, 12), (8, 6, 6), (16, 6, 6), (16, 6, 6)]
    assert a.totals["params"] == (4 * 8 + 8) + (8 * 16 + 16)


def test_conditions_are_memoized_by_the_values_they_read(monkeypatch):
    """An ``if:`` is evaluated once per distinct value of the names it reads, input shape
    names included: DenseNet-121's ``if: bottleneck`` (3 entries in each of its 58 layers) once,
    and a condition on ``in_channels`` again for each channel count."""
    seen = []
    real = graph.condition

    def counting(value, scope):
        if sys._getframe(1).f_code.co_name == "condition":  # the builder's (not _Expansion's bounds)
            seen.append(value)
        return real(value, scope)

    monkeypatch.setattr(graph, "condition", counting)
    analyze("densenet", variant="121")
    assert seen.count("bottleneck") == 1
    spec = ("name: m\ninput: [4, 8, 8]\nlayers:\n"
            "  - repeat: 3\n    body:\n"
            "      - {op: conv2d, out_channels: 8, kernel_size: 1, if: 'in_channels == 4'}\n"
            "      - {op: conv2d, out_channels: 6, kernel_size: 1, if: 'in_channels == 8'}\n")
    seen.clear()
    a = analyze(load_text(spec))
    assert [c.output[0] for c in a.layers] == [8, 6]  # iterations 2 and 3 (6 channels) skip both
    assert seen == ["in_channels == 4", "in_channels == 8", "in_channels == 4", "in_channels == 8"]


def test_memo_key_sees_repeat_index_and_value_types():
    spec = ("name: m\ninput: [3, 8, 8]\nlayers:\n"
            "  - repeat: 4\n    as: i\n    body:\n      - {op: conv2d, out_channels: '8 * (i + 1)', kernel_size: 1}\n")
    a = analyze(load_text(spec))
    assert [c.output[0] for c in a.layers] == [8, 16, 24, 32]
    assert a.totals["params"] == (3 * 8 + 8) + (8 * 16 + 16) + (16 * 24 + 24) + (24 * 32 + 32)
    # the same entry content but for a value's type: `bias: 1` is not `bias: true`
    typed = ("name: m\ninput: [3, 8, 8]\nlayers:\n"
             "  - {op: conv2d, out_channels: 8, kernel_size: 1, bias: true}\n"
             "  - {op: conv2d, out_channels: 8, kernel_size: 1, bias: true}\n"
             "  - {op: conv2d, out_channels: 8, kernel_size: 1, bias: 1}\n")
    with pytest.raises(SpecError, match="'bias' must be true or false") as e:
        analyze(load_text(typed))
    assert e.value.loc.line == 6


def test_lines_are_recorded_sparsely_and_still_located():
    """A one-line flow mapping records one line, not one per key; every path still locates."""
    text = "name: m\ninput: [3, 8, 8]\nlayers:\n" + "".join(
        f"  - {{op: conv2d, name: c{i}, out_channels: 8, kernel_size: 1}}\n" for i in range(1000))
    src = Source("t.yaml")
    data = parse_yaml(text, src)
    assert len(data["layers"]) == 1000
    assert len(src.lines) < 1010  # (every key of every entry recorded: > 5,000)
    assert src.loc(("layers", 500, "out_channels")).line == 504
    assert src.loc(("layers", 0)).line == 4 and src.loc(("input", 2)).line == 2
    multi = "name: m\ninput: [3, 8, 8]\nlayers:\n  - {op: conv2d,\n     out_channels: 8,\n     kernel_size: 064}\n"
    with pytest.raises(SpecError, match="leading zero") as e:
        parse_yaml(multi, Source("t.yaml"))
    assert e.value.loc.line == 6
