"""Property tests: any spec text gives either a valid Analysis or an ArchcalcError, never another exception.

Two generators: random small specs (random sequences of valid and invalid ops
with random field values) and random mutations of the bundled MobileNet spec's
YAML text. Kept small (max_examples modest) so the file runs in seconds.
"""

from __future__ import annotations

import shutil
from fractions import Fraction
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


# ------------------------------------------------- hostile YAML trees and expressions (issue 11) --
import time  # noqa: E402

from archcalc.errors import ExprError  # noqa: E402
from archcalc.spec.expr import evaluate  # noqa: E402

#: scalars as they would be written in YAML: the review's number/boolean/date surprises
HOSTILE_SCALARS = st.sampled_from([
    ".nan", "-.inf", ".INF", "1.0e+400", "1e-400", "064", "0o17", "0x1F", "1:30", "yes", "No", "on",
    "OFF", "~", "null", "2001-01-01", "2001-01-01 10:00:00", "!!int eight", "!!float x", "!!binary aGk=",
    "!!python/object:os.system ls", "9" * 120, "'9'", "true", "False", "-0", "+5", "0.5", "[]", "{}",
    "'1/0'", "'round(1/3, 10**8)'", "'10**10**10'", "'x if 1 else y'", "'not 2'", "'[1] * 20000'",
    "&a [*a]", "*undefined", "'\\x00'", '"\\0"', "'in_channels * 0.35'", "'H // 0'",
])
TREE = st.recursive(
    HOSTILE_SCALARS | st.integers(-5, 70).map(str),
    lambda kids: st.lists(kids, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
    | st.dictionaries(st.sampled_from(["a", "k", "x", "in", "H", "True", "my-var"]), kids, max_size=2).map(
        lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"),
    max_leaves=6,
)
SLOTS = [  # (template, where the tree goes): every value position of a small valid spec
    "name: t\nvars: {alpha: 1, flag: false, v: @}\ninput: [3, 16, 16]\nlayers:\n  - {op: conv2d, out_channels: 8, kernel_size: 3}\n",
    "name: t\ninput: [3, @, 16]\nlayers:\n  - {op: conv2d, out_channels: 8, kernel_size: 3}\n",
    "name: t\ninput: [3, 16, 16]\nlayers:\n  - {op: conv2d, out_channels: @, kernel_size: 3}\n",
    "name: t\ninput: [3, 16, 16]\nlayers:\n  - {op: conv2d, out_channels: 8, kernel_size: 3, bias: @}\n",
    "name: t\ninput: [3, 16, 16]\nlayers:\n  - {op: batchnorm, eps: @, affine: true}\n  - {op: dropout, p: @}\n",
    "name: t\ninput: [3, 16, 16]\nlayers:\n  - {op: relu, if: @}\n  - {op: relu}\n",
    "name: t\ninput: [3, 16, 16]\nlayers:\n  - {repeat: @, as: i, body: [{op: relu}]}\n",
    "name: t\ninput: [3, 16, 16]\nlayers:\n  - {block: b, k: @}\nblocks:\n  b: {args: {k: 1}, let: {m: 'k'}, body: [{op: relu}]}\n",
    "name: t\nvars: {alpha: 1}\ninput: [3, 16, 16]\nlayers: [{op: relu}]\nreference:\n  - {source: x, vars: {alpha: @}, params: @, top1: @}\n",
]


@settings(max_examples=150, **SETTINGS)
@given(st.sampled_from(SLOTS), TREE, TREE)
def test_hostile_yaml_values(template, tree, tree2):
    """A hostile value anywhere a value goes: an Analysis or a one-line located ArchcalcError, fast."""
    text = template.replace("@", tree, 1).replace("@", tree2)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz.yaml"
        p.write_text(text)
        t = time.process_time()
        result = outcome(p)
        assert time.process_time() - t < 10, text
    if isinstance(result, ArchcalcError) and not str(result).startswith("expression"):
        assert result.loc is not None and result.loc.line, (text, str(result))


ATOMS = st.sampled_from(["0", "1", "2", "7", "0.5", "1e3", "10**8", "x", "y", "l", "s", "True", "'a'",
                         "[1, 2]", "[]", "-1", "2**300", "9" * 90, "1/3", "i"])
FUNCS = st.sampled_from(["round", "int", "floor", "ceil", "min", "max", "len", "sum", "make_divisible"])


@st.composite
def expressions(draw, depth=0):
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        return draw(ATOMS)
    kind = draw(st.sampled_from(["bin", "bin", "cmp", "bool", "not", "if", "call", "index", "neg"]))
    a = draw(expressions(depth + 1))
    b = draw(expressions(depth + 1))
    if kind == "bin":
        return f"({a} {draw(st.sampled_from(['+', '-', '*', '/', '//', '%', '**']))} {b})"
    if kind == "cmp":
        return f"({a} {draw(st.sampled_from(['<', '==', '!=', '>=']))} {b})"
    if kind == "bool":
        return f"({a} {draw(st.sampled_from(['and', 'or']))} {b})"
    if kind == "not":
        return f"(not {a})"
    if kind == "if":
        return f"({a} if {b} else {draw(expressions(depth + 1))})"
    if kind == "call":
        return f"{draw(FUNCS)}({a}, {b})" if draw(st.booleans()) else f"{draw(FUNCS)}({a})"
    if kind == "index":
        return f"{a}[{b}]"
    return f"-{a}"


@settings(max_examples=250, **SETTINGS)
@given(expressions())
def test_expression_strings_give_a_value_or_an_expr_error(text):
    scope = {"x": 3, "y": Fraction(1, 2), "l": [1, 2, 3], "s": "relu", "i": 0}
    t = time.process_time()
    try:
        v = evaluate(text, scope)
    except ExprError as e:
        assert e.message.strip() and "\n" not in e.message
        v = None
    assert time.process_time() - t < 2, text
    if isinstance(v, int) and not isinstance(v, bool):
        assert v.bit_length() <= 257


@settings(max_examples=60, **SETTINGS)
@given(expressions())
def test_symbolic_expression_strings_are_bounded(text):
    import sympy

    scope = {"x": sympy.Symbol("x", positive=True), "y": sympy.Symbol("y", positive=True),
             "l": [1, 2, 3], "s": "relu", "i": 0}
    t = time.process_time()
    try:
        evaluate(text, scope)
    except ExprError as e:
        assert e.message.strip() and "\n" not in e.message
    assert time.process_time() - t < 5, text


@settings(max_examples=40, **SETTINGS)
@given(expressions())
def test_cli_set_values(text):
    """``--set alpha=EXPR`` through the CLI: exit 0 or 2, one line on stderr, never a traceback."""
    import contextlib
    import io

    from archcalc.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["cost", "mobilenet", "--set", f"alpha={text}", "--format", "csv"])
            code = 0
        except SystemExit as e:
            code = e.code
    assert code in (0, 2), (text, err.getvalue())
    if code == 2:
        assert len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
