"""Scaling of load + analyze in the layer count (issue 16): ``python benchmarks/scaling.py``.

Generated networks of 10^3, 10^4 and 10^5 layers, three shapes, two forms each:

* ``chain``  — (conv2d 3x3, relu) pairs on a 16x8x8 map;
* ``resid``  — (conv2d, relu, add of the unit input and the relu): a residual DAG;
* ``concat`` — (conv2d from the unit input, conv2d from the unit input, concat of the two): a DAG;

``repeat`` form: one ``repeat:`` entry over a unit body; ``explicit`` form: every layer its own
YAML entry (named, with ``inputs:`` for the DAGs). Each case runs in its own subprocess, which
first loads and analyzes a one-layer spec (imports, first-use caches), then times
``loader.load`` and ``api.analyze`` of the loaded spec (CPU time, ``time.process_time``: the
machine is shared and wall time is inflated by other jobs; best of ``--repeat``), and reports
``resource.getrusage`` peak RSS; the table shows peak RSS minus that of the same subprocess
run on the one-layer spec only, per layer.

An explicit 10^5-layer spec is larger than the loader's hostile-input limits (2,000,000 bytes,
200,000 YAML nodes; docs/limits.md): the subprocess raises both limits for the explicit cases
(``--no-raise-limits`` to see the refusal instead).

Targets (issue 16): linear in layers, <= 10 us/layer (load + analyze) at 10^5, peak RSS
<= 1 KB/layer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAD = "name: scale\ninput: [16, 8, 8]\nlayers:\n"
CONV = "op: conv2d, out_channels: 16, kernel_size: 3, padding: 1"
HALF = "op: conv2d, out_channels: 8, kernel_size: 3, padding: 1"


def units(shape: str) -> int:
    return 2 if shape == "chain" else 3


def spec_text(shape: str, form: str, n_layers: int) -> str:
    k = units(shape)
    n = n_layers // k
    if form == "repeat":
        body = {
            "chain": [f"{{{CONV}}}", "{op: relu}"],
            "resid": [f"{{{CONV}, name: c}}", "{op: relu, name: r}", "{op: add, inputs: [in, r]}"],
            "concat": [f"{{{HALF}, name: a}}", f"{{{HALF}, name: b, input: in}}",
                       "{op: concat, inputs: [a, b]}"],
        }[shape]
        return HEAD + f"  - repeat: {n}\n    body:\n" + "".join(f"      - {b}\n" for b in body)
    out = [HEAD]
    prev = "input"
    for i in range(n):
        if shape == "chain":
            out.append(f"  - {{{CONV}, name: c{i}}}\n  - {{op: relu, name: r{i}}}\n")
        elif shape == "resid":
            out.append(f"  - {{{CONV}, name: c{i}}}\n  - {{op: relu, name: r{i}}}\n"
                       f"  - {{op: add, name: a{i}, inputs: [{prev}, r{i}]}}\n")
            prev = f"a{i}"
        else:
            out.append(f"  - {{{HALF}, name: a{i}}}\n  - {{{HALF}, name: b{i}, input: {prev}}}\n"
                       f"  - {{op: concat, name: k{i}, inputs: [a{i}, b{i}]}}\n")
            prev = f"k{i}"
    return "".join(out)


CHILD = r"""
import gc, json, resource, sys, time
from archcalc.spec import loader
from archcalc.api import analyze
tiny, path, repeat, raise_limits = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
analyze(loader.load(tiny))
out = {}
if path != "-":
    if raise_limits:
        loader.MAX_FILE_BYTES = 50_000_000
        loader.MAX_YAML_NODES = 5_000_000
    tl, ta, wall = [], [], []
    cpu = time.process_time
    for _ in range(repeat):
        w = time.perf_counter()
        t = cpu(); spec = loader.load(path); tl.append(cpu() - t)
        t = cpu(); a = analyze(spec); ta.append(cpu() - t)
        wall.append(time.perf_counter() - w)
        layers, macs = len(a.layers), a.totals["macs"]
        del a, spec
        gc.collect()
    out = {"load": min(tl), "analyze": min(ta), "wall": min(wall), "layers": layers, "macs": macs}
out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""


def run_child(tiny: Path, path: str, repeat: int, raise_limits: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", CHILD, str(tiny), path, str(repeat),
                        "1" if raise_limits else "0"], capture_output=True, text=True, env=env, cwd=ROOT)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["?"])[-1][:100]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--shapes", default="chain,resid,concat")
    ap.add_argument("--forms", default="repeat,explicit")
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per case (best is shown)")
    ap.add_argument("--no-raise-limits", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as d:
        tiny = Path(d) / "tiny.yaml"
        tiny.write_text(HEAD + "  - {op: relu}\n")
        base = min(run_child(tiny, "-", 1, False)["maxrss_kb"] for _ in range(2))
        print(f"baseline peak RSS (imports + a one-layer spec): {base / 1024:.1f} MiB\n")
        print("CPU time (time.process_time) per layer, best of the runs; wall = load + analyze wall "
              "time per layer (inflated when the machine is shared)\n")
        print(f"{'shape':7} {'form':8} {'layers':>8} {'load us/l':>10} {'analyze us/l':>13} "
              f"{'total us/l':>11} {'wall us/l':>10} {'RSS KB/l':>9}  MACs")
        for shape in args.shapes.split(","):
            for form in args.forms.split(","):
                for n in sizes:
                    p = Path(d) / f"{shape}-{form}-{n}.yaml"
                    p.write_text(spec_text(shape, form, n))
                    r = run_child(tiny, str(p), args.repeat,
                                  form == "explicit" and not args.no_raise_limits)
                    if "error" in r:
                        print(f"{shape:7} {form:8} {n:8,d}  {r['error']}")
                        continue
                    lay = r["layers"]
                    print(f"{shape:7} {form:8} {lay:8,d} {r['load'] / lay * 1e6:10.2f} "
                          f"{r['analyze'] / lay * 1e6:13.2f} {(r['load'] + r['analyze']) / lay * 1e6:11.2f} "
                          f"{r['wall'] / lay * 1e6:10.2f} "
                          f"{(r['maxrss_kb'] - base) / lay:9.3f}  {r['macs']:,}", flush=True)
                    p.unlink()


if __name__ == "__main__":
    main()
