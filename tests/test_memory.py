"""archcalc.memory: the liveness rule of DESIGN.md, on hand-computed step lists."""

from __future__ import annotations

from archcalc.memory import DTYPE_BYTES, last_uses, live_elements, peak_elements


def test_last_uses_is_the_last_reading_step():
    steps = [("a", 4, ["input"]), ("b", 2, ["a"]), ("c", 4, ["a", "b"])]
    assert last_uses(steps) == {"input": 1, "a": 3, "b": 3, "c": 3}


def test_a_chain_holds_two_tensors_at_a_time():
    # input 10 -> a 6 -> b 8: step 1 holds input + a = 16, step 2 a + b = 14 (the input is freed)
    assert peak_elements([("a", 6, ["input"]), ("b", 8, ["a"])], 10) == (16, "a")
    assert peak_elements([("a", 2, ["input"]), ("b", 8, ["a"])], 1) == (10, "b")


def test_a_skip_connection_keeps_its_source_alive():
    # x=4 feeds a (4) and the add; b (4) follows a; add reads x and b: x, a/b and the sum overlap.
    steps = [("a", 4, ["input"]), ("b", 4, ["a"]), ("add", 4, ["input", "b"])]
    # step 1: x + a = 8; step 2: x + a + b = 12 (a dies after b); step 3: x + b + add = 12
    assert peak_elements(steps, 4) == (12, "b")


def test_dtype_sizes():
    assert DTYPE_BYTES == {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}


def test_last_uses_from_the_layer_digraph_agrees_with_the_scan():
    # the DiGraph path (last consumer = successor of highest order) on networks with skips,
    # concatenations and squeeze-excite branches; the scan is the independent count
    import pytest

    pytest.importorskip("networkx")
    from archcalc.api import analyze

    for spec, variant in (("resnet", "50"), ("densenet", "121"), ("efficientnet", "b0"), ("mobilenet_v2", None)):
        a = analyze(spec, variant=variant, resolution=64)
        steps = [(lay.name, c.activations, lay.inputs) for lay, c in zip(a.network.layers, a.layers)]
        assert last_uses(steps, a.network.graph) == last_uses(steps)
        curve = live_elements(steps, a.totals["input_elements"], a.network.graph)
        assert max(curve) == a.totals["peak_activation_elements"]
        assert peak_elements(steps, a.totals["input_elements"], a.network.graph)[1] == a.totals["peak_at"]


def test_the_digraph_is_what_last_uses_reads():
    nx = __import__("pytest").importorskip("networkx")
    steps = [("a", 4, ["input"]), ("b", 2, ["a"]), ("c", 4, ["b"])]
    g = nx.DiGraph()
    for i, name in enumerate(["input", "a", "b", "c"]):
        g.add_node(name, order=i)
    g.add_edges_from([("input", "a"), ("a", "b"), ("b", "c"), ("a", "c")])  # c also reads a
    assert last_uses(steps, g)["a"] == 3 and last_uses(steps)["a"] == 2
    assert peak_elements(steps, 8, g) == (12, "a") and live_elements(steps, 8, g) == [8, 12, 6, 10]


def test_cost_does_not_import_networkx():
    import subprocess
    import sys

    code = ("import sys\nfrom archcalc.cli import main\ntry:\n    main(['cost', 'resnet:50', '--summary'])\n"
            "except SystemExit:\n    pass\nprint('networkx' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")
