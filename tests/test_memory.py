"""archcalc.memory: the liveness rule of DESIGN.md, on hand-computed step lists."""

from __future__ import annotations

from archcalc.memory import DTYPE_BYTES, last_uses, peak_elements


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
