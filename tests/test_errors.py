"""Bad input: every class of error is one line ``file:line: message`` on stderr, exit status 2.

Each case writes a small spec to tmp_path, runs the CLI in-process
(``archcalc.cli.main``) and checks the status, that stderr is exactly one line
with no traceback, the line number and the message. One case also runs
``python -m archcalc`` in a subprocess to check the real entry point.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archcalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
HEAD = "name: t\ninput: [3, 8, 8]\n"


def run(argv, capsys):
    """Run the CLI; return (exit status, stderr)."""
    capsys.readouterr()
    try:
        main(list(argv))
        status = 0
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    return status, capsys.readouterr().err


def check(argv, capsys, where: str | None, match: str):
    status, err = run(argv, capsys)
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    if where is not None:
        assert lines[0].startswith(where + ": ") or re.search(re.escape(where) + r": ", lines[0]), lines[0]
    assert re.search(match, lines[0]), lines[0]
    return lines[0]


def spec_file(tmp_path: Path, text: str, name: str = "net.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# Each case: YAML text, the line the error must point at, a regex of the message.
CASES = {
    "malformed yaml": (HEAD + "layers:\n  - {op: relu\n  - {op: relu}\n", None, r"invalid YAML"),
    "tab indentation": (HEAD + "layers:\n\t- {op: relu}\n", 4, r"invalid YAML"),
    "not a mapping": ("- 1\n- 2\n", 1, r"must be a YAML mapping .* got list"),
    "scalar document": ("just text\n", 1, r"must be a YAML mapping .* got str"),
    "empty file": ("", 1, r"spec is empty"),
    "comments only": ("# nothing\n", 1, r"spec is empty"),
    "python tag on a value": (HEAD + "layers:\n  - {op: relu, name: !!python/object:os.system a}\n", 4,
                              r"bad value: the YAML tag !!python/object:os\.system is not allowed"),
    "python tag on a key": (HEAD + "layers:\n  - {op: relu, !!python/object:os.system name: a}\n", 4,
                            r"bad value: the YAML tag !!python/object:os\.system is not allowed"),
    "unknown key": (HEAD + "layers:\n  - {op: conv2d, out_chanels: 4, kernel_size: 3}\n", 4,
                    r"unknown key 'out_chanels'; did you mean 'out_channels'\?"),
    "unknown top-level key": (HEAD + "layer:\n  - {op: relu}\n", 3, r"unknown key 'layer'; did you mean 'layers'\?"),
    "unknown op": (HEAD + "layers:\n  - {op: conv3d, out_channels: 4}\n", 4,
                   r"unknown op 'conv3d'; did you mean 'conv2d'\? \(known ops: .*add, .*conv2d.*\)"),
    "missing key": (HEAD + "layers:\n  - {op: conv2d, kernel_size: 3}\n", 4, r"missing required key 'out_channels'"),
    "missing layers": (HEAD, 1, r"missing required key 'layers'"),
    "bad type bool": (HEAD + "layers:\n  - {op: maxpool, kernel_size: 2,\n     ceil_mode: maybe}\n", 5,
                      r"'ceil_mode': expected true/false, got the string 'maybe'"),
    "bad type mapping": (HEAD + "layers:\n  - {op: conv2d, out_channels: {a: 1}, kernel_size: 3}\n", 4, r"out_channels"),
    "entry not a mapping": (HEAD + "layers:\n  - relu\n", 4, r"an entry must be a mapping, got 'relu'"),
    "entry without kind": (HEAD + "layers:\n  - {name: x}\n", 4, r"needs one of the keys op:, block:, repeat: or body:"),
    "hostile expression": (HEAD + "layers:\n  - {op: conv2d, out_channels: \"__import__('os').system('true')\", kernel_size: 3}\n",
                           4, r"is not allowed"),
    "hostile attribute": (HEAD + "layers:\n  - {op: conv2d, out_channels: \"().__class__\", kernel_size: 3}\n",
                          4, r"attribute access"),
    "division by zero": (HEAD + "layers:\n  - {op: relu}\n  - {op: conv2d, out_channels: \"4 / 0\", kernel_size: 3}\n",
                         5, r"division by zero"),
    "zero channels": (HEAD + "layers:\n  - {op: conv2d, out_channels: 0, kernel_size: 3}\n", 4, r"out_channels must be >= 1, got 0"),
    "negative input": ("name: t\ninput: [3, 8, -8]\nlayers:\n  - {op: relu}\n", 2, r"input W must be >= 1, got -8"),
    "negative kernel": (HEAD + "layers:\n  - {op: conv2d, out_channels: 4, kernel_size: -3}\n", 4, r"kernel_size must be >= 1"),
    "alias bomb": ("a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                   + "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10))
                   + HEAD + "layers: [{op: relu}]\n", 1, r"alias bomb"),
    "alias bomb in vars": ("name: t\nvars:\n  a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                           + "".join(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10))
                           + "input: [3, 8, 8]\nlayers: [{op: relu}]\n", 1, r"alias bomb"),
    "absurd repeat": (HEAD + "layers:\n  - repeat: \"10**9\"\n    body: [{op: relu}]\n", 4,
                      r"repeat count 1000000000 exceeds the limit"),
    "negative repeat": (HEAD + "layers:\n  - repeat: -1\n    body: [{op: relu}]\n", 4, r"repeat count must be >= 0"),
    "unknown block": (HEAD + "layers:\n  - {block: nope}\n", 4, r"unknown block 'nope'"),
    "block unknown argument": (HEAD + "blocks:\n  b:\n    args: {c: null}\n    body: [{op: conv2d, out_channels: c, kernel_size: 1}]\n"
                               "layers:\n  - {block: b, c: 4, d: 3}\n", 8, r"block 'b' has no argument 'd' \(arguments: c\)"),
    "block missing argument": (HEAD + "blocks:\n  b:\n    args: {c: null}\n    body: [{op: conv2d, out_channels: c, kernel_size: 1}]\n"
                               "layers:\n  - {op: relu}\n  - {block: b}\n", 9, r"block 'b' needs argument 'c'"),
    "block recursion": (HEAD + "blocks:\n  b:\n    body: [{block: b}]\nlayers:\n  - {block: b}\n", None, r"calls itself"),
    "dangling input": (HEAD + "layers:\n  - {op: relu}\n  - {op: relu, input: nothere}\n", 5,
                       r"reference 'nothere' names no earlier layer"),
    "forward reference": (HEAD + "layers:\n  - {op: relu, name: a, input: b}\n  - {op: relu, name: b}\n", 4,
                          r"reference 'b' names no earlier layer"),
    "duplicate names": (HEAD + "layers:\n  - {op: relu, name: a}\n  - {op: relu, name: a}\n", 5, r"duplicate layer name 'a'"),
    "duplicate key": (HEAD + "layers:\n  - {op: relu, name: a, name: b}\n", 4, r"duplicate key 'name'"),
    "non-integer size": ("name: t\nvars: {rho: 0.714}\ninput: [3, \"224 * rho\", \"224 * rho\"]\nlayers:\n  - {op: relu}\n",
                         3, r"input H = .*159\.936.* is not an integer; round it"),
    "non-integer channels": (HEAD + "vars: {alpha: 0.35}\nlayers:\n  - {op: conv2d, out_channels: \"70 * alpha\", kernel_size: 1}\n",
                             5, r"24\.5.* is not an integer"),
    "channel mismatch in add": (HEAD + "layers:\n  - {op: conv2d, name: c1, out_channels: 4, kernel_size: 1}\n"
                                "  - {op: conv2d, name: c2, out_channels: 8, kernel_size: 1}\n  - {op: add, inputs: [c1, c2]}\n",
                                6, r"add.*input shapes differ \(\[4, 8, 8\] vs \[8, 8, 8\]\)"),
    "add with one input": (HEAD + "layers:\n  - {op: relu}\n  - {op: add}\n", 5, r"add takes at least 2 input"),
    "kernel too large": (HEAD + "layers:\n  - {op: conv2d, out_channels: 4, kernel_size: 9}\n", 4, r"kernel extent 9 is larger"),
    "groups": (HEAD + "layers:\n  - {op: conv2d, out_channels: 4, kernel_size: 1, groups: 2}\n", 4,
               r"groups=2 does not divide in_channels=3"),
    "unknown name in expression": (HEAD + "layers:\n  - {op: conv2d, out_channels: \"widht * 2\", kernel_size: 1}\n", 4,
                                   r"unknown name 'widht'"),
    "every entry skipped": (HEAD + "layers:\n  - {op: relu, if: \"1 == 0\"}\n", 3, r"builds no layers"),
    "variant sets an undeclared var": ("name: t\nvars: {a: 1}\nvariants:\n  big: {b: 2}\ninput: [3, 8, 8]\nlayers: [{op: relu}]\n"
                                       , None, r"variant 'big' sets 'b'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec(case, tmp_path, capsys):
    text, line, match = CASES[case]
    p = spec_file(tmp_path, text)
    args = ["cost", str(p), "--summary"] + (["--variant", "big"] if case.startswith("variant") else [])
    t0 = time.process_time()
    msg = check(args, capsys, None, match)
    assert time.process_time() - t0 < 5
    assert msg.startswith(str(p) + ":") or msg.startswith("net.yaml:") or "net.yaml:" in msg.split(": ")[0], msg
    if line is not None:
        assert re.match(r"^.*net\.yaml:%d: " % line, msg), msg


def test_malformed_yaml_points_near_the_problem(tmp_path, capsys):
    p = spec_file(tmp_path, HEAD + "layers:\n  - {op: relu\n  - {op: relu}\n")
    msg = check(["cost", str(p)], capsys, None, r"invalid YAML")
    line = int(re.match(r"^.*net\.yaml:(\d+): ", msg).group(1))
    assert 4 <= line <= 6


def test_missing_file(tmp_path, capsys):
    check(["cost", str(tmp_path / "nope.yaml")], capsys, None, r"no spec file .*nope\.yaml.*bundled specs: .*mobilenet")


def test_directory(tmp_path, capsys):
    check(["cost", str(tmp_path)], capsys, None, r"is a directory")


def test_not_utf8(tmp_path, capsys):
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"name: \xff\xfe\n")
    check(["cost", str(p)], capsys, "bin.yaml:1", r"not UTF-8")


def test_unknown_variant(capsys):
    # the command line is at fault, not the spec: blamed on the flag (or on SPEC:VARIANT)
    check(["cost", "mobilenet", "--variant", "nope"], capsys, "archcalc",
          r"^archcalc: --variant: MobileNet v1 has no variant 'nope' \(variants: full-conv, shallow\)$")
    check(["cost", "mobilenet:nope"], capsys, "archcalc", r"^archcalc: --variant: .*no variant 'nope'")


def test_unknown_set_name(capsys):
    check(["cost", "mobilenet", "--set", "beta=2"], capsys, None, r"no var 'beta' \(its vars: alpha, rho")


def test_set_without_value(capsys):
    check(["cost", "mobilenet", "--set", "alpha"], capsys, None, r"--set expects NAME=VALUE")


def test_alpha_on_a_spec_without_alpha(tmp_path, capsys):
    p = spec_file(tmp_path, HEAD + "layers:\n  - {op: relu}\n")
    check(["cost", str(p), "--alpha", "0.5"], capsys, None, r"has no var 'alpha'")


def test_hostile_command_line_value(capsys):
    check(["cost", "mobilenet", "--alpha", "__import__('os')"], capsys, None, r"not allowed")
    check(["cost", "mobilenet", "--rho", "1/0"], capsys, None, r"division by zero")


def test_non_integer_resolution_from_the_command_line(capsys):
    # mobilenet rounds round(224 * rho), so --rho 0.714 is fine; a raw resolution is not rounded.
    check(["cost", "mobilenet", "--resolution", "224.5"], capsys, None, r"224\.5.* is not an integer")


def test_unknown_format(capsys):
    check(["cost", "mobilenet", "--format", "xml"], capsys, None,
          r"^archcalc cost: Invalid value for '--format' / '-f': 'xml' is not one of 'table', 'markdown', "
          r"'latex', 'csv', 'json'")


def test_error_in_an_imported_block_file_names_that_file(tmp_path, capsys):
    (tmp_path / "blocks.yaml").write_text("blocks:\n  b:\n    body:\n      - {op: conv2d, out_chanels: 4, kernel_size: 1}\n")
    p = spec_file(tmp_path, HEAD + "use: [blocks.yaml]\nlayers:\n  - {block: b}\n")
    check(["cost", str(p)], capsys, None, r"blocks\.yaml:4: .*unknown key 'out_chanels'")


def test_subprocess_exit_status_and_no_traceback(tmp_path):
    p = spec_file(tmp_path, HEAD + "layers:\n  - {op: conv2d, out_chanels: 4, kernel_size: 3}\n")
    r = subprocess.run([sys.executable, "-m", "archcalc", "cost", str(p)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert re.fullmatch(r".*net\.yaml:4: conv2d: unknown key 'out_chanels'; did you mean 'out_channels'\?.*\n", r.stderr)
    assert r.stdout == ""


def test_duplicate_name_message_ends_cleanly(tmp_path, capsys):
    p = spec_file(tmp_path, HEAD + "layers:\n  - {op: relu, name: a}\n  - {op: relu, name: a}\n")
    msg = check(["cost", str(p)], capsys, None, r"duplicate layer name 'a'")
    assert not msg.endswith(":")
