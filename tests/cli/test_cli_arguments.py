"""Every numeric CLI option is range-checked: one line on stderr, exit status 2, never nonsense.

Also a hypothesis property over argv (in-process through ``archcalc.cli.main``):
whatever the arguments, the exit status is 0, 1 or 2 and stderr never shows a
traceback or an internal error. Bounded to about 20 s (max_examples, a tiny spec).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archcalc.cli import main


def run(argv: list[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``archcalc ARGV`` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv, message", [
    (["prove", "dsc", "--k", "0"], "--k must be an integer from 1 to 1000000000, got 0"),
    (["prove", "dsc", "--n", "0"], "--n must be an integer from 1 to 1000000000, got 0"),
    (["prove", "dsc", "--n", "-5"], "--n must be an integer from 1 to 1000000000, got -5"),
    (["prove", "dsc", "--k", "10000000000"], "--k must be an integer from 1 to 1000000000"),
    (["prove", "compound-scaling", "--step", "nan"], "--step must be a finite number, got nan"),
    (["prove", "compound-scaling", "--step", "inf"], "--step must be a finite number, got inf"),
    (["prove", "compound-scaling", "--tolerance", "-inf"], "--tolerance must be a finite number, got -inf"),
    (["prove", "compound-scaling", "--step", "0"], "must be > 0"),
    (["validate", "mobilenet", "--seed", "-1"], r"--seed must be an integer in \[0, 2\*\*63\), got -1"),
    (["validate", "mobilenet", "--seed", str(2**64)], r"--seed must be an integer in \[0, 2\*\*63\)"),
    (["validate", "mobilenet", "--resolution", "100000"], "113145001024000 MACs .* over the limit of 100000000000"),
    (["validate", "mobilenet", "--batch", "1000000"], "568740352000000 MACs .* over the limit"),
    (["validate", "mobilenet", "-r", "32", "--max-macs", "1M"], r"12610048 MACs \(12\.61M\), over the limit of 1000000"),
    (["validate", "mobilenet", "-r", "32", "--max-bytes", "1Ki"], "over the limit of 1024 "),
    (["validate", "mobilenet", "--max-macs", "0"], "--max-macs must be at least 1"),
    (["validate", "mobilenet", "--max-bytes", "lots"], "--max-bytes: expected a count like"),
    (["sweep", "mobilenet", "--alpha", ",".join(["1"] * 200), "--rho", ",".join(["1"] * 200)],
     r"the sweep has 40,000 points \(200 alpha x 200 rho\); the limit is 10,000"),
])
def test_bad_numbers_are_one_line_exit_2(argv, message):
    code, out, err = run(argv)
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.startswith("archcalc: "), err
    assert re.search(message, err), err
    assert "less computation" not in out and out == ""


def test_the_dsc_ratio_is_still_printed_for_sane_values():
    code, out, _ = run(["prove", "dsc", "--k", "3", "--n", "512"])
    assert code == 0
    assert "8.84× less computation" in out  # 1 / (1/512 + 1/9) = 8.8445...


TINY = """\
name: tiny
vars: {alpha: 1, resolution: 8}
input: [3, resolution, resolution]
layers:
  - {op: conv2d, out_channels: "int(8 * alpha)", kernel_size: 3, padding: 1}
  - {op: relu}
  - {op: global_avgpool}
  - {op: flatten}
  - {op: linear, out_features: 10}
"""
NUMBERS = ["0", "-1", "1", "2", "0.5", "-0.0", "nan", "inf", "-inf", "1e400", "1e-400", "2**64", "10**10**10",
           "1/0", "", " ", "abc", "3/4", "True", "1,2", "9" * 5000, "0x10", "1_000", "٣", "1e2", "-5", "2**31"]
SPECS = ["{d}/tiny.yaml", "{d}/missing.yaml", "nosuchspec", "", "{d}", "/dev/null"]
OPTIONS = {
    "cost": ["--batch", "--resolution", "--alpha", "--rho", "--set", "--layer", "--dtype", "--format"],
    "breakdown": ["--batch", "--resolution", "--by", "--format", "--plot"],
    "compare": ["--batch", "--resolution", "--format", "--columns", "--sort"],
    "sweep": ["--alpha", "--resolution", "--set", "--batch", "--format", "--x", "--y", "--plot", "--sort"],
    "graph": ["--format"],
    "roofline": ["--batch", "--resolution", "--device", "--format", "--plot", "--out"],
    "validate": ["--batch", "--resolution", "--seed", "--set", "--max-macs", "--max-bytes", "--format"],
}
PROVE = [["prove", "dsc", "--k"], ["prove", "dsc", "--n"], ["prove", "compound-scaling", "--step"],
         ["prove", "compound-scaling", "--tolerance"]]
PROVE_VALUES = ["0", "-1", "-5", "nan", "inf", "-inf", "1e400", "", "abc", "9" * 5000, "1e-9", "0.0"]


@st.composite
def argvs(draw, d: str) -> list[str]:
    if draw(st.integers(0, 5)) == 0:  # a prove option with a value that must be refused
        return draw(st.sampled_from(PROVE)) + [draw(st.sampled_from(PROVE_VALUES))]
    command = draw(st.sampled_from(sorted(OPTIONS)))
    argv = [command, draw(st.sampled_from(SPECS)).format(d=d)]
    for _ in range(draw(st.integers(0, 3))):
        option = draw(st.sampled_from(OPTIONS[command]))
        value = draw(st.one_of(st.sampled_from(NUMBERS), st.text(max_size=6)))
        if option == "--set":
            value = draw(st.sampled_from(["alpha", "resolution", "x", ""])) + "=" + value
        if option in ("--plot", "--out"):
            value = draw(st.sampled_from([f"{d}/p.svg", f"{d}/no/p.svg", "/dev/full", "/proc/p.png", d, value]))
        argv += [option, value]
    if command == "validate":
        argv += ["--max-macs", "20M"]  # keep every execution small
    return argv


def test_cli_argv_property():
    budget = time.monotonic() + 20  # seconds: the property stops drawing after this
    with tempfile.TemporaryDirectory() as d:
        Path(d, "tiny.yaml").write_text(TINY)
        cwd = os.getcwd()
        os.chdir(d)  # nothing a command writes lands in the repository
        try:
            @settings(max_examples=150, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(argvs(d))
            def prop(argv):
                if time.monotonic() > budget:
                    return
                code, _, err = run(argv)
                assert code in (0, 1, 2), (argv, code, err)
                assert "Traceback" not in err and "internal error" not in err, (argv, err)
                if code == 2 and err.startswith("archcalc:"):
                    assert err.count("\n") == 1, (argv, err)
            prop()
        finally:
            os.chdir(cwd)
