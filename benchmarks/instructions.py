"""Instructions per in-process analysis (callgrind), this tree against an older one (issue 16).

Wall and CPU time of a 10-20 ms analysis move by 30 % on a shared machine; instruction counts
do not. For each case and stage this runs one process that does the stage ``--runs`` times and
one that does it zero times, under ``valgrind --tool=callgrind``, and prints the difference per
run (start-up, imports and first-use caches cancel out).

    python benchmarks/instructions.py [--before DIR] [--cases densenet:201,resnet:50]
                                      [--stages build,loaded,file,load,yaml] [--runs 10]

Stages: ``build`` the graph of an already-loaded spec at its point; ``loaded`` ``analyze`` of
an already-loaded spec; ``file`` ``analyze`` from the file (load + build + cost); ``load`` the
spec and its ``use:`` files; ``yaml`` archcalc's YAML walk (``loader.parse_yaml``) of those files,
beside ``yaml.load`` with libyaml's C loader and libyaml's events alone (PyYAML's floor).
``--before DIR``: a plain copy of an older tree (``git archive REV | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r'''
import gc, sys
from pathlib import Path
import yaml
from archcalc.api import Ctx, _build, analyze, resolve
from archcalc.spec.loader import Source, load, parse_yaml
spec, variant, stage, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
analyze("mobilenet")
loaded = load(spec)
point = resolve(loaded, variant, None, None)
analyze(loaded, variant=variant)
files = [Path(loaded.path)] + sorted({Path(src.file) for _, src in loaded.blocks.values()})
texts = [f.read_text() for f in files if f.exists()]
gc.disable()
for _ in range(runs):
    if stage == "build":
        _build(loaded, point, point.vars, Ctx(ideal=False))
    elif stage == "loaded":
        analyze(loaded, variant=variant)
    elif stage == "file":
        analyze(spec, variant=variant)
    elif stage == "load":
        load(spec)
    elif stage == "yaml":
        for t in texts:
            parse_yaml(t, Source("x.yaml"))
    elif stage == "yaml.load":
        for t in texts:
            yaml.load(t, Loader=yaml.CSafeLoader)
    elif stage == "yaml events":
        for t in texts:
            list(yaml.parse(t, Loader=yaml.CSafeLoader))
'''


def count(tree: Path, args: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            sys.executable, "-c", CHILD, *args],
                           cwd=tree, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"child failed in {tree}: {r.stderr.strip().splitlines()[-1]}")
        for line in r.stderr.splitlines():
            if "Collected :" in line:
                return int(line.split()[-1])
    raise SystemExit("no 'Collected :' line from callgrind")


def per_run(tree: Path, spec: str, variant: str, stage: str, runs: int) -> float:
    return (count(tree, [spec, variant, stage, str(runs)]) - count(tree, [spec, variant, stage, "0"])) / runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path)
    ap.add_argument("--cases", default="densenet:201,resnet:50")
    ap.add_argument("--stages", default="build,loaded,file,load,yaml")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    stages = []
    for s in args.stages.split(","):
        stages += [s, "yaml.load", "yaml events"] if s == "yaml" else [s]
    trees = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    head = ["case", "stage"] + [f"{name} M instr" for name, _ in trees] + (["after / before"] if args.before else [])
    rows = []
    for case in args.cases.split(","):
        spec, _, variant = case.partition(":")
        for stage in stages:
            own = stage in ("yaml.load", "yaml events")  # PyYAML's, the same in both trees
            got = [per_run(tree, spec, variant, stage, args.runs) / 1e6
                   for name, tree in trees if not (own and name == "before")]
            row = [spec + (f" {variant}" if variant else ""), stage] + [f"{g:.2f}" for g in got]
            if args.before:
                row += ["", ""] if own else [f"{got[0] / got[1]:.3f}"]
            rows.append(row)
            print(" | ".join(row), flush=True)
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row[:len(head)]) + " |")


if __name__ == "__main__":
    main()
