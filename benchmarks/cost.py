"""Speed of the numeric cost path (issue 2): run with ``python benchmarks/cost.py``.

Prints, all measured in this run:
* in-process ``analyze`` time of MobileNet v1 (best of several runs);
* in-process time for generated chains of 1,250 ... 10,000 layers, with the time per
  layer, which must stay flat (cost linear in layer count);
* whole-process ``archcalc cost specs/mobilenet.yaml`` against a bare
  ``python -c "import archcalc"`` baseline, as a ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archcalc.api import analyze, load  # noqa: E402


def best_of(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def chain_spec(n_layers: int) -> str:
    """A spec of ``n_layers`` explicit entries: (conv 3x3, relu) pairs on an 8x8 map."""
    lines = ["name: chain", "input: [16, 8, 8]", "layers:"]
    for i in range(n_layers // 2):
        lines.append(f"  - {{op: conv2d, name: c{i}, out_channels: 16, kernel_size: 3, padding: 1}}")
        lines.append(f"  - {{op: relu, name: r{i}}}")
    return "\n".join(lines) + "\n"


def process_time(args: list[str], n: int = 5) -> float:
    return statistics.median(
        best_of(lambda: subprocess.run(args, check=True, capture_output=True, cwd=ROOT), 1)
        for _ in range(n)
    )


def main() -> None:
    mobilenet = load(ROOT / "specs" / "mobilenet.yaml")
    t = best_of(lambda: analyze(mobilenet, vars={"alpha": "0.75"}), 10)
    t_load = best_of(lambda: analyze(ROOT / "specs" / "mobilenet.yaml"), 10)
    print(f"MobileNet v1 analyze (pre-loaded spec):  {t * 1e3:7.2f} ms")
    print(f"MobileNet v1 load + analyze:             {t_load * 1e3:7.2f} ms")

    print("\nchain length   load+analyze   per layer")
    per_layer = []
    with tempfile.TemporaryDirectory() as d:
        for n in (1250, 2500, 5000, 10000):
            p = Path(d) / f"chain{n}.yaml"
            p.write_text(chain_spec(n))
            analyze(p)  # warm-up: parser caches, first-use imports
            tn = best_of(lambda p=p: analyze(p), 3)
            per_layer.append(tn / n)
            print(f"{n:12,d}   {tn * 1e3:9.1f} ms   {tn / n * 1e6:6.1f} us")
    print(f"per-layer time ratio 10,000 vs 1,250 layers: {per_layer[-1] / per_layer[0]:.2f} "
          "(1.0 = perfectly linear)")

    base = process_time([sys.executable, "-c", "import archcalc"])
    full = process_time([sys.executable, "-m", "archcalc", "cost", "specs/mobilenet.yaml", "--alpha", "0.75"])
    print(f"\nprocess: python -c 'import archcalc' {base * 1e3:.0f} ms; "
          f"archcalc cost specs/mobilenet.yaml {full * 1e3:.0f} ms; ratio {full / base:.1f}x")
    heavy = subprocess.run(
        [sys.executable, "-c",
         "import sys, runpy; sys.argv=['archcalc','cost','mobilenet','--summary'];"
         "import archcalc.cli as c\ntry: c.main()\nexcept SystemExit: pass\n"
         "print(sorted(m for m in ('numba','matplotlib','sympy','torch') if m in sys.modules))"],
        capture_output=True, text=True, cwd=ROOT,
    ).stdout.strip().splitlines()[-1]
    print(f"heavy modules imported by `archcalc cost`: {heavy}")


if __name__ == "__main__":
    main()
