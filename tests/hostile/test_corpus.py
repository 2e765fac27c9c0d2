"""The hostile corpus: one case per file in ``cases/*.yaml``, each run as a real ``archcalc`` process.

A case is ``{name, class, files: {relative_name: content}, argv: [...], expect: {exit, stderr,
stdout_empty?}}``: ``files`` are written into a fresh temporary directory, which is the working
directory of ``python -m archcalc ARGV``. Every case must end within ``TIMEOUT`` seconds (of CPU time in-process) with the
expected exit status, ``stderr`` matching the regex ``expect.stderr`` (``re.search``), no
"Traceback" anywhere, a one-line message when the exit status is 2 (the bad-input promise), and
an empty stdout when ``stdout_empty`` is true.

By default each case runs in this process (``archcalc.cli.main(argv)`` in the case's
directory, with an alarm for the timeout) -- seconds for the whole corpus. With
``ARCHCALC_CORPUS_SUBPROCESS=1`` every case is a real ``python -m archcalc`` process (exit
status, memory and hangs exactly as a user meets them; a few processes at a time). Add a case
by adding a file; ``python -m pytest tests/hostile -q`` runs them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

CASES_DIR = Path(__file__).parent / "cases"
TIMEOUT = 30  #: seconds one case may take (the limits make every hostile input cheap)
REPO = Path(__file__).resolve().parents[2]
KEYS = {"name", "class", "files", "argv", "expect"}
EXPECT_KEYS = {"exit", "stderr", "stdout_empty"}


def load_case(path: Path) -> dict:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict) and set(case) == KEYS, f"{path.name}: keys must be {sorted(KEYS)}"
    assert isinstance(case["files"], dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in case["files"].items()), path.name
    assert isinstance(case["argv"], list) and all(isinstance(a, str) for a in case["argv"]), path.name
    exp = case["expect"]
    assert isinstance(exp, dict) and {"exit", "stderr"} <= set(exp) <= EXPECT_KEYS, path.name
    re.compile(exp["stderr"])
    return case


CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))


SUBPROCESS = os.environ.get("ARCHCALC_CORPUS_SUBPROCESS") == "1"


def write_files(case: dict, tmp: str) -> None:
    for rel, content in case["files"].items():
        target = Path(tmp) / rel
        assert Path(tmp).resolve() in target.resolve().parents, f"{case['name']}: file outside tmp"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8", "surrogatepass"))


class _Timeout(BaseException):
    pass


def run_in_process(case: dict) -> dict:
    """``archcalc.cli.main(argv)`` in the case's directory; an escaping exception is a traceback."""
    import contextlib
    import io
    import signal
    import traceback

    from archcalc.cli import main

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()

    def alarm(*_):
        raise _Timeout

    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        write_files(case, tmp)
        # CPU time (ITIMER_PROF), not wall time: a loaded CI machine must not turn a cheap case into a
        # "timeout"; an unbounded computation still runs out of it.
        old = signal.signal(signal.SIGPROF, alarm)
        signal.setitimer(signal.ITIMER_PROF, TIMEOUT)
        t = time.perf_counter()
        code = 0
        try:
            os.chdir(tmp)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main(list(case["argv"]))
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                except _Timeout:
                    raise
                except BaseException:  # what a real process would print and exit 1 with
                    err.write(traceback.format_exc())
                    code = 1
        except _Timeout:
            return {"timeout": True, "seconds": time.perf_counter() - t}
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, old)
            os.chdir(cwd)
        return {"timeout": False, "exit": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
                "seconds": time.perf_counter() - t}


def run_case(case: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        write_files(case, tmp)
        env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200")
        t = time.perf_counter()
        try:
            p = subprocess.run([sys.executable, "-m", "archcalc", *case["argv"]], cwd=tmp, env=env,
                               capture_output=True, text=True, timeout=TIMEOUT, errors="replace")
        except subprocess.TimeoutExpired:
            return {"timeout": True, "seconds": time.perf_counter() - t}
        return {"timeout": False, "exit": p.returncode, "stdout": p.stdout, "stderr": p.stderr,
                "seconds": time.perf_counter() - t}


@pytest.fixture(scope="module")
def results() -> dict:
    cases = {p.name: load_case(p) for p in CASE_FILES}
    if not SUBPROCESS:
        return {name: (c, run_in_process(c)) for name, c in cases.items()}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(run_case, c) for name, c in cases.items()}
        return {name: (cases[name], f.result()) for name, f in futures.items()}


def test_corpus_is_there():
    assert len(CASE_FILES) >= 40
    classes = {load_case(p)["class"] for p in CASE_FILES}
    assert {"numbers", "yaml11", "booleans", "ignored", "unbounded", "recursion", "use",
            "reference", "messages"} <= classes


@pytest.mark.parametrize("case_file", [p.name for p in CASE_FILES])
def test_case(results, case_file):
    case, r = results[case_file]
    exp = case["expect"]
    where = f"{case_file} ({case['name']})"
    assert not r["timeout"], f"{where}: no result within {TIMEOUT} s"
    err = r["stderr"]
    assert "Traceback" not in err and "Traceback" not in r["stdout"], f"{where}: traceback\n{err}"
    assert r["exit"] == exp["exit"], f"{where}: exit {r['exit']}, expected {exp['exit']}\n{err}"
    assert re.search(exp["stderr"], err), f"{where}: stderr does not match {exp['stderr']!r}:\n{err}"
    if exp["exit"] == 2:
        assert len(err.strip().splitlines()) == 1, f"{where}: the error is not one line:\n{err}"
    if exp.get("stdout_empty"):
        assert r["stdout"] == "", f"{where}: stdout not empty:\n{r['stdout'][:500]}"
