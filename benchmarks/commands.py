"""Whole-process time of archcalc's commands against same-run baselines (issue 16).

Run:  python benchmarks/commands.py [--repeat 5] [--only startup|symbolic|commands] [--callgrind] [--before DIR]

Every figure is the best of ``--repeat`` alternating runs of a fresh process (the
machine is shared; the best run is the least disturbed one), measured in this run:

* **startup** -- ``archcalc cost specs/resnet.yaml --variant 50``, ``archcalc --version`` and
  ``archcalc --help`` against the baseline ``python -c "import pydantic"`` (a bare
  interpreter plus the one library the spec models need). Targets: cost <= 3x the
  baseline (aim 0.15 s), --version <= 0.1 s, --help <= 2x the baseline. Two floor rows
  show what the main job cannot go below while it validates with pydantic: one model defined
  and validated (``import pydantic`` alone is lazy and builds nothing), and that plus the
  command's other libraries (typer, PyYAML, tabulate); and one row the op models. With
  ``--callgrind`` (needs valgrind) also the instructions of one run of each (deterministic
  on a shared machine: the criterion to compare), for the ``--before`` tree too.

Every case runs once untimed first, with ``PYTHONDONTWRITEBYTECODE`` removed from its
environment, so bytecode caches exist (as in an installed package); otherwise every run
would compile archcalc's sources again.
* **symbolic** -- ``archcalc cost SPEC --symbolic --summary`` for every bundled spec
  against ``python -c "import sympy"``. Target: <= import sympy + 0.3 s.
* **commands** -- the other commands on bundled specs. Target: <= 3 s each; report <= 6 s.

Each row also gives the process's CPU time (user + system, best of the runs): on a loaded
machine wall time is mostly waiting, CPU time much less so. ``--before DIR`` runs every case
also with ``PYTHONPATH=DIR`` (a plain copy of an older tree: ``mkdir DIR && git archive main |
tar -x -C DIR``), alternating with this tree, and prints both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ARCHCALC = [PY, "-m", "archcalc"]
#: ``--cases``: the commands measured (all when empty)
SELECT: list[str] = []


#: the trees measured: this one, and the ``--before`` tree when given
TREES: list[Path] = [ROOT]
#: best CPU time (user + system) per (case, tree), filled by ``best``
CPU: dict[tuple[str, Path], float] = {}


def _env(tree: Path) -> dict[str, str]:
    """The children's environment: ``tree`` on PYTHONPATH, bytecode caches allowed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return dict(env, PYTHONPATH=str(tree))


def run_once(argv: list[str], tree: Path = ROOT) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process run in ``tree``."""
    env = _env(tree)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode()[-500:]}")
    return dt, usage.ru_utime + usage.ru_stime


def instructions(argv: list[str], tree: Path = ROOT) -> int:
    """Instructions of one run in ``tree`` under callgrind (its "Collected" line)."""
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out", *argv],
                             cwd=tree, env=_env(tree), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in res.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1])
    raise SystemExit(f"valgrind {' '.join(argv)} failed ({res.returncode}): {res.stderr[-500:]}")


def best(cases: dict[str, list[str]], repeat: int, tree: Path | None = None) -> dict[str, float]:
    """Best wall time per case (best CPU time in :data:`CPU`), the cases (and the trees) run
    alternately ``repeat`` times after one untimed run each (bytecode caches); ``tree`` picks
    one tree's results (default: this one)."""
    for argv in cases.values():
        for t in TREES:
            run_once(argv, t)
    out = {(k, t): float("inf") for k in cases for t in TREES}
    for _ in range(repeat):
        for k, argv in cases.items():
            for t in TREES:
                wall, cpu = run_once(argv, t)
                out[k, t] = min(out[k, t], wall)
                CPU[k, t] = min(CPU.get((k, t), float("inf")), cpu)
    if len(TREES) > 1:
        for k in cases:
            print(f"  {k}: wall {out[k, TREES[1]]:.3f} -> {out[k, ROOT]:.3f} s, "
                  f"CPU {CPU[k, TREES[1]]:.3f} -> {CPU[k, ROOT]:.3f} s (before -> this tree)")
    return {k: out[k, tree or ROOT] for k in cases}


def cpu(case: str) -> str:
    return f"{CPU[case, ROOT]:.3f}"


def table(rows: list[list[str]], headers: list[str]) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=headers, disable_numparse=True)


_ONE_MODEL = "from pydantic import BaseModel\nclass A(BaseModel):\n    x: int\nA(x=1)"
STARTUP = {  # case -> (argv, label, target)
    "pass": ([PY, "-c", "pass"], "python -c pass", ""),
    "baseline": ([PY, "-c", "import pydantic"], "python -c 'import pydantic' (baseline)", ""),
    # the floors under the main job: what validating with pydantic costs at all (one model, as
    # the spec needs), and that with the command's other libraries, before any archcalc code
    "one-model": ([PY, "-c", _ONE_MODEL], "python: one pydantic model defined and validated", "(floor)"),
    "libraries": ([PY, "-c", "import typer, yaml, tabulate\n" + _ONE_MODEL],
                  "+ import typer, yaml, tabulate", "(floor)"),
    # the same with the collector off while they import, as archcalc's start-up runs (cli._StartupGC)
    "libraries-nogc": ([PY, "-c", "import gc\ngc.disable()\nimport typer, yaml, tabulate\n" + _ONE_MODEL
                        + "\ngc.freeze()\ngc.enable()"], "+ the collector off while importing", "(floor)"),
    "models": ([PY, "-c", "import archcalc.spec.models"], "python -c 'import archcalc.spec.models' (the op models)", ""),
    "cost": (ARCHCALC + ["cost", "specs/resnet.yaml", "--variant", "50"],
             "archcalc cost specs/resnet.yaml --variant 50", "<= 3x"),
    "version": (ARCHCALC + ["--version"], "archcalc --version", "<= 0.1 s"),
    "help": (ARCHCALC + ["--help"], "archcalc --help", "<= 2x"),
}


#: The main job run twice in one process; prints the seconds of the second run: its own work
#: (load, validate, build, cost, the table) once every module is imported, every class built
#: and every validator made, with archcalc's memo caches cleared first (nothing reused but
#: code). Start-up cannot go below the floor plus this (see :func:`startup`).
_WARM = """
import contextlib, functools, io, sys, time
from archcalc.cli import main

def run():
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(ARGV)
        except SystemExit:
            pass

run()
for m in [m for n, m in sys.modules.items() if n.startswith("archcalc")]:
    for v in list(vars(m).values()):
        if isinstance(v, functools._lru_cache_wrapper):
            v.cache_clear()
t = time.perf_counter()
run()
print(time.perf_counter() - t)
"""


def warm_work(argv: list[str], repeat: int) -> float:
    """Best of ``repeat`` of the main job's second run in one process (see :data:`_WARM`)."""
    code = _WARM.replace("ARGV", repr(argv))
    out = float("inf")
    for _ in range(repeat + 1):
        r = subprocess.run([PY, "-c", code], cwd=ROOT, env=_env(ROOT), capture_output=True, text=True,
                           check=True)
        out = min(out, float(r.stdout.split()[-1]))
    return out


def startup(repeat: int, callgrind: bool = False) -> None:
    t = best({k: argv for k, (argv, _, _) in STARTUP.items()}, repeat)
    warm = warm_work(STARTUP["cost"][0][3:], repeat)
    n = {}
    if callgrind:
        for k, (argv, _, _) in STARTUP.items():
            for tree in TREES:
                n[k, tree] = instructions(argv, tree)
        if len(TREES) > 1:
            for k in STARTUP:
                print(f"  {k}: {n[k, TREES[1]] / 1e9:.3f} -> {n[k, ROOT] / 1e9:.3f} Ginstr (before -> this tree)")
    rows = []
    for k, (_, label, target) in STARTUP.items():
        row = [label, f"{t[k]:.3f}", f"{t[k] / t['baseline']:.2f}", cpu(k)]
        if n:
            row += [f"{n[k, ROOT] / 1e9:.3f}", f"{n[k, ROOT] / n['baseline', ROOT]:.2f}"]
        rows.append(row + [target])
    headers = (["command", "best s", "x baseline", "CPU s"] + (["Ginstr", "x baseline (instr)"] if n else [])
               + ["target"])
    print(table(rows, headers))
    floor = t["libraries-nogc"] + warm
    print(f"the main job's own work, warm (a second run in one process, memo caches cleared): {warm:.4f} s;\n"
          f"the floor of start-up (the libraries, collector off, + that work): {floor:.3f} s = "
          f"{floor / t['baseline']:.2f}x the baseline; the rest of the main job ({t['cost'] - floor:.3f} s) "
          "is archcalc's own first-time cost: its modules, classes and validators")


def symbolic(repeat: int) -> None:
    from archcalc.spec.loader import bundled_specs

    cases = {"sympy": [PY, "-c", "import sympy"]}
    for p in bundled_specs():
        cases[p.stem] = ARCHCALC + ["cost", p.stem, "--symbolic", "--summary"]
    # the largest EfficientNet, named by the target
    cases["efficientnet-b7"] = ARCHCALC + ["cost", "efficientnet", "--variant", "b7", "--symbolic", "--summary"]
    cases = {k: v for k, v in cases.items() if k == "sympy" or not SELECT or any(w in k for w in SELECT)}
    t = best(cases, repeat)
    base = t.pop("sympy")
    cbase = CPU["sympy", ROOT]
    rows = [[k, f"{v:.3f}", f"{v - base:+.3f}", cpu(k), f"{CPU[k, ROOT] - cbase:+.3f}",
             "ok" if v <= base + 0.3 else "over"] for k, v in t.items()]
    print(f"import sympy: {base:.3f} s (CPU {cbase:.3f} s)")
    print(table(rows, ["spec", "best s", "- import sympy", "CPU s", "CPU - import sympy", "<= +0.3 s"]))


def commands(repeat: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="archcalc-bench-"))
    cases = {
        "prove dsc": ARCHCALC + ["prove", "dsc"],
        "prove compound-scaling": ARCHCALC + ["prove", "compound-scaling"],
        "prove width-multiplier": ARCHCALC + ["prove", "width-multiplier"],
        "prove resolution-multiplier": ARCHCALC + ["prove", "resolution-multiplier"],
        "homework --all": ARCHCALC + ["homework", "--all"],
        "plot accuracy": ARCHCALC + ["plot", "accuracy", "--out", str(tmp / "acc.png")],
        "sweep mobilenet 4x4": ARCHCALC + ["sweep", "mobilenet", "--alpha", "1,0.75,0.5,0.25", "--rho",
                                           "1,6/7,5/7,4/7"],
        "compare 10 specs": ARCHCALC + ["compare", "resnet:50", "senet:se-resnet-50", "resnext:50-32x4d",
                                        "densenet:121", "mobilenet", "mobilenet_v2", "efficientnet:b0",
                                        "convnext:tiny", "wide_resnet", "preact_resnet"],
        "breakdown resnet --by block": ARCHCALC + ["breakdown", "resnet", "-v", "50", "--by", "block"],
        "report": ARCHCALC + ["report", "--out", str(tmp / "reports")],
        "validate --all -r 64": ARCHCALC + ["validate", "--all", "--resolution", "64", "--summary"],
    }
    (tmp / "reports").mkdir()
    if SELECT:
        cases = {k: v for k, v in cases.items() if any(w in k for w in SELECT)}
    t = best(cases, repeat)
    limit = {"report": 6.0, "validate --all -r 64": 10.0}
    rows = [[k, f"{v:.2f}", cpu(k), f"<= {limit.get(k, 3.0):g} s", "ok" if v <= limit.get(k, 3.0) else "over"]
            for k, v in t.items()]
    print(table(rows, ["command", "best s", "CPU s", "target", ""]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", choices=("startup", "symbolic", "commands"))
    ap.add_argument("--before", type=Path, help="an older tree to run every case in too (alternating)")
    ap.add_argument("--cases", help="commands section: only the cases whose name contains one of these "
                                    "comma-separated words")
    ap.add_argument("--callgrind", action="store_true", help="startup: also instruction counts (valgrind)")
    args = ap.parse_args()
    if args.before:
        TREES.append(args.before.resolve())
    global SELECT
    SELECT = [w for w in (args.cases or "").split(",") if w]
    for name, fn in (("startup", startup), ("symbolic", symbolic), ("commands", commands)):
        if args.only in (None, name):
            print(f"== {name}")
            if name == "startup":
                startup(args.repeat, args.callgrind)
            else:
                fn(args.repeat if name != "commands" else max(1, args.repeat // 3))


if __name__ == "__main__":
    main()
