"""The spec writer without torch: numbered children of a container fold into a ``repeat``
whose iterations carry exactly the imported names."""

from __future__ import annotations

from types import SimpleNamespace as E

from archcalc.graph import build
from archcalc.importers.spec_writer import spec_text
from archcalc.ops import Ctx
from archcalc.spec.loader import load_text


def _units(prefix: str, n: int, first: str, width: int) -> list:
    out, prev = [], first
    for i in range(n):
        conv = E(name=f"{prefix}{i}.conv", op="conv2d", inputs=[prev], shape=(width, 8, 8),
                 fields={"out_channels": width, "kernel_size": 3, "padding": 1, "bias": False})
        relu = E(name=f"{prefix}{i}.relu", op="relu", inputs=[conv.name], shape=(width, 8, 8), fields={})
        out += [conv, relu]
        prev = relu.name
    return out


def _names(text: str) -> list[str]:
    loaded = load_text(text, "<t>")
    return [lay.name for lay in build(loaded, dict(loaded.spec.vars), (3, 8, 8), Ctx(ideal=False)).layers]


def test_numbered_identical_units_become_one_repeat_with_the_same_names():
    entries = _units("body.", 5, "input", 4)
    types = {"body": "Sequential", **{f"body.{i}": "Unit" for i in range(5)}}
    text = spec_text("T", entries, (3, 8, 8), notes=[], module_types=types)
    assert "- repeat: 5" in text and text.count("block: unit") == 1
    assert _names(text) == [e.name for e in entries]


def test_a_prefixed_run_keeps_its_prefix():
    """regnet's ``block3-0, block3-1, ...``: the repeat is named ``block3-``."""
    entries = _units("s.block3-", 4, "input", 4)
    types = {"s": "Sequential", **{f"s.block3-{i}": "Unit" for i in range(4)}}
    text = spec_text("T", entries, (3, 8, 8), notes=[], module_types=types)
    assert 'name: "block3-"' in text
    assert _names(text) == [e.name for e in entries]


def test_stages_of_the_same_shape_share_a_stage_block():
    entries = _units("a.", 3, "input", 4)
    entries += _units("b.", 2, entries[-1].name, 8)
    types = {"a": "Sequential", "b": "Sequential", **{f"a.{i}": "Unit" for i in range(3)},
             **{f"b.{i}": "Unit" for i in range(2)}}
    text = spec_text("T", entries, (3, 8, 8), notes=[], module_types=types)
    assert "  stage:" in text
    assert '{block: stage, name: "a", n: 3' in text and '{block: stage, name: "b", n: 2' in text
    assert _names(text) == [e.name for e in entries]


def test_not_numbered_from_zero_is_not_folded():
    """DenseNet's ``denselayer1, denselayer2, ...`` start at 1: a repeat would rename them."""
    entries = _units("blk.denselayer", 4, "input", 4)
    for e in entries:
        a, b = e.name.split("denselayer")
        k, rest = b.split(".", 1)
        e.name = f"{a}denselayer{int(k) + 1}.{rest}"
    for prev, e in zip(entries, entries[1:]):
        e.inputs = [prev.name]
    types = {"blk": "Sequential", **{f"blk.denselayer{i}": "Unit" for i in range(1, 5)}}
    text = spec_text("T", entries, (3, 8, 8), notes=[], module_types=types)
    assert "repeat" not in text
    assert _names(text) == [e.name for e in entries]
