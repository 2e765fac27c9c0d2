"""Are the symbolic formulas the same in two trees? A dump of every bundled variant, compared.

Run:  python benchmarks/symbolic_identity.py --before DIR [--specs NAME ...]  (DIR: an older tree, e.g. from
      ``git archive main | tar -x -C DIR``)
      python benchmarks/symbolic_identity.py --dump FILE    (this tree's dump only)

For every bundled spec at its default point and at every variant (plus a few explicit
``symbols`` choices) the dump has, in symbolic mode, the ``srepr`` of every total (nested
dicts included), of every layer's costs and output shape, and of every by-op sum, then the
rendered outputs ``cost`` prints: the text table with and without the per-layer rows, the
LaTeX table and the JSON document. ``--before`` writes the dump in both trees (this script
run with the other tree first on ``PYTHONPATH``) and reports the first differing line, or
that the dumps are byte-identical. Formulas changed by a speed-up are a bug: this is the check.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: points beyond each spec's default and variants: (spec, variant, symbols)
EXTRA = [("mobilenet", None, ["alpha", "rho"]), ("resnet", "50", ["resolution"]),
         ("efficientnet", "b0", ["phi"]), ("densenet", "121", ["growth"])]


def points(only=()):
    from archcalc.spec.loader import bundled_specs, load

    for p in bundled_specs():
        if only and p.stem not in only:
            continue
        spec = load(p).spec
        yield p.stem, None, None
        for v in spec.variants:
            if v != spec.default_variant:
                yield p.stem, v, None
    yield from (x for x in EXTRA if not only or x[0] in only)


def dump(out, only=()) -> None:
    import sympy

    from archcalc.api import analyze

    def line(*parts):
        out.write(" ".join(str(p) for p in parts) + "\n")

    def rec(prefix, v):
        if isinstance(v, dict):
            for k, x in v.items():
                rec(f"{prefix}.{k}", x)
        elif isinstance(v, (list, tuple)):
            for i, x in enumerate(v):
                rec(f"{prefix}[{i}]", x)
        else:
            line(prefix, sympy.srepr(v) if isinstance(v, sympy.Basic) else repr(v))

    for spec, variant, symbols in points(only):
        a = analyze(spec, variant=variant, symbolic=True, symbols=symbols)
        head = f"{spec}[{variant}]{','.join(symbols or [])}"
        line("==", head, a.symbols, a.held)
        rec(head + " totals", a.totals)
        rec(head + " by_op", a.by_op)
        for c in a.layers:
            for k in ("output", "params", "params_by_kind", "buffers", "macs", "flops", "flops_by_kind",
                      "activations", "reads", "writes"):
                rec(f"{head} {c.name} {k}", getattr(c, k))
        for title, text in (("summary", a.table("table", False)), ("per-layer", a.table("table", True)),
                            ("latex", a.table("latex", True)), ("json", a.to_json())):
            line("--", head, title)
            out.write(text + "\n")
        out.flush()


def run_in(tree: Path, path: Path, only=()) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    subprocess.run([sys.executable, __file__, "--dump", str(path), "--specs", *only], cwd=tree, env=env, check=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", type=Path, help="write this tree's dump here")
    ap.add_argument("--before", type=Path, help="an older tree to compare with")
    ap.add_argument("--specs", nargs="*", default=[], help="only these bundled specs")
    args = ap.parse_args()
    if args.dump:
        with open(args.dump, "w") as f:
            dump(f, args.specs)
        return
    if not args.before:
        ap.error("give --dump FILE or --before DIR")
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "before.txt", Path(tmp) / "after.txt"
        run_in(args.before.resolve(), old, args.specs)
        run_in(ROOT, new, args.specs)
        a, b = old.read_text().splitlines(), new.read_text().splitlines()
        print(f"before: {len(a)} lines, sha256 {digest(old)}; after: {len(b)} lines, sha256 {digest(new)}")
        if a == b:
            print(f"identical: {sum(1 for x in a if x.startswith('=='))} points, "
                  f"{sum(1 for x in a if ' Add(' in x or ' Mul(' in x)} srepr lines of sums and products")
            return
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        print(f"DIFFERENT from line {i + 1}:\n- {a[i] if i < len(a) else '<end>'}\n+ {b[i] if i < len(b) else '<end>'}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
