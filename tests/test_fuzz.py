"""Property tests: any spec text gives either a valid Analysis or an ArchcalcError, never another exception.

Two generators: random small specs (random sequences of valid and invalid ops
with random field values) and random mutations of the bundled MobileNet spec's
YAML text. Kept small (max_examples modest) so the file runs in seconds.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archcalc.api import Analysis, analyze
from archcalc.errors import ArchcalcError
from archcalc.ops import REGISTRY
from archcalc.spec.loader import bundled_dir

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

FIELDS = ["out_channels", "out_features", "kernel_size", "stride", "padding", "dilation", "groups",
          "bias", "num_groups", "ceil_mode", "approximate", "p", "eps", "affine", "init", "inputs",
          "input", "name", "if", "bogus"]
VALUES = st.one_of(
    st.integers(-3, 70),
    st.sampled_from([True, False, None, "same", "valid", "tanh", "none", 0.5, 1e-5, 24.5, "in_channels",
                     "in_channels // 2", "H", "2 if H > 4 else 1", "1/0", "x + ", "__import__('os')",
                     "10**10**10", "[3, 3]", [1, 3], [3], [3, 3, 3], "conv", "relu", ["conv", "relu"], [],
                     "make_divisible(in_channels * 0.35)", "round(W * 0.714)", {"a": 1}, "alpha", "input"]),
    st.text(max_size=8),
)
OPS = st.one_of(st.sampled_from(sorted(REGISTRY)), st.sampled_from(["conv3d", "", "Conv2d", 3]))
ENTRY = st.builds(
    lambda op, fields, name: {"op": op, **({"name": name} if name else {}), **fields},
    OPS, st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5),
    st.one_of(st.none(), st.sampled_from(["conv", "relu", "in", "x.y"])),
)
ODD_ENTRY = st.one_of(
    st.builds(lambda n, body: {"repeat": n, "as": "i", "body": body}, VALUES, st.lists(ENTRY, max_size=2)),
    st.builds(lambda body: {"name": "g", "body": body}, st.lists(ENTRY, max_size=2)),
    st.sampled_from([{"block": "nope"}, "relu", 5, None, {"name": "x"}]),
)
SPEC = st.fixed_dictionaries(
    {"name": st.just("fuzz"),
     "input": st.one_of(st.just([3, 16, 16]), st.lists(VALUES, max_size=4)),
     "layers": st.lists(st.one_of(ENTRY, ENTRY, ENTRY, ODD_ENTRY), min_size=0, max_size=6)},
    optional={"vars": st.dictionaries(st.sampled_from(["alpha", "rho", "x"]), VALUES, max_size=2)},
)


def outcome(path: Path) -> object:
    """Analyze, returning the Analysis or the ArchcalcError; any other exception fails the test."""
    try:
        a = analyze(path)
    except ArchcalcError as e:
        assert str(e).strip() and "\n" not in e.message.strip(), repr(e.message)
        return e
    assert isinstance(a, Analysis)
    assert a.totals["params"] >= 0 and a.totals["macs"] >= 0
    try:
        a.to_json()  # includes the published checks: a reference entry may still be at fault
    except ArchcalcError as e:
        assert str(e).strip() and "\n" not in e.message.strip(), repr(e.message)
        return e
    return a


@settings(max_examples=120, **SETTINGS)
@given(SPEC)
def test_random_small_specs(spec):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz.yaml"
        p.write_text(yaml.safe_dump(spec, sort_keys=False))
        outcome(p)


MOBILENET = (bundled_dir() / "mobilenet.yaml").read_text()
JUNK = st.sampled_from(list(":-[]{},&*!|>#'\"\t\n 0123456789abc_.%") + ["  ", "- ", ": ", "*a", "&a ", "!!python/object:os.system"])


@st.composite
def mutated(draw):
    text = MOBILENET
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "dup_line", "drop_line"]))
        i = draw(st.integers(0, len(text) - 1))
        if kind == "insert":
            text = text[:i] + draw(JUNK) + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 20)):]
        elif kind == "replace":
            text = text[:i] + draw(JUNK) + text[i + 1:]
        else:
            lines = text.splitlines(keepends=True)
            j = i % len(lines)
            lines[j:j + 1] = [lines[j]] * (2 if kind == "dup_line" else 0)
            text = "".join(lines)
    return text


@settings(max_examples=60, **SETTINGS)
@given(mutated())
def test_mutated_mobilenet(text):
    with tempfile.TemporaryDirectory() as d:
        shutil.copytree(bundled_dir() / "blocks", Path(d) / "blocks")
        p = Path(d) / "mobilenet.yaml"
        p.write_text(text)
        outcome(p)
