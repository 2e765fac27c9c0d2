"""Coverage-guided fuzzer (atheris/libFuzzer) over spec YAML text and expression strings.

Drives the public API only (``archcalc.api.load`` / ``analyze`` and
``archcalc.spec.expr.parse_value`` / ``evaluate``); the one acceptable failure is
an ``ArchcalcError`` with a one-line message. Anything else — another exception,
a multi-line message, a hang past ``--hang-seconds`` — is a finding. See
fuzz/README.md for how to run it; it is not part of the test suite.

Each input's first byte picks the target:

* 0 mod 4 and 2 mod 4 — byte mode: the rest is a spec file (raw bytes, written
  next to a copy of the bundled ``blocks/`` so ``use:`` works), analysed
  numerically; with 0 mod 8 also symbolically;
* 1 mod 4 and 3 mod 4 — the rest is an expression (UTF-8), evaluated numerically in
  a scope of typical vars and, with 1 mod 4, symbolically;
* 6 mod 8 — tree mode (structure-aware): the rest drives a few mutations of a
  bundled spec's YAML tree (a value replaced by a hostile one, a key renamed, an
  entry duplicated or dropped), dumped back to YAML and analysed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FINDINGS = Path(os.environ.get("ARCHCALC_FUZZ_FINDINGS", ROOT / "fuzz" / "findings"))
HANG_SECONDS = float(os.environ.get("ARCHCALC_FUZZ_HANG", "10"))
KEEP_GOING = os.environ.get("ARCHCALC_FUZZ_KEEP_GOING") == "1"
SCOPE = {"alpha": 1, "rho": 1, "H": 7, "W": 7, "in_channels": 32, "i": 2, "widths": [16, 32], "flag": True}

_workdir: Path | None = None
_seen: set[str] = set()


class Hang(Exception):
    """An input ran past the per-input time budget."""


def _alarm(signum, frame):
    raise Hang(f"no result after {HANG_SECONDS} s of CPU time")


def workdir() -> Path:
    """A scratch directory with the bundled blocks, so ``use: [blocks/...]`` resolves."""
    global _workdir
    if _workdir is None:
        from archcalc.spec.loader import bundled_dir

        _workdir = Path(tempfile.mkdtemp(prefix="archcalc-fuzz-"))
        shutil.copytree(bundled_dir() / "blocks", _workdir / "blocks")
    return _workdir


def run_spec(data: bytes, symbolic: bool) -> None:
    from archcalc.api import analyze

    p = workdir() / "fuzz.yaml"
    p.write_bytes(data)
    a = analyze(p)
    a.to_json()
    if symbolic:
        analyze(p, symbolic=True).to_json()


def run_expr(text: str, symbolic: bool) -> None:
    from archcalc.spec.expr import condition, evaluate

    scope = dict(SCOPE)
    if symbolic:
        import sympy

        scope.update({n: sympy.Symbol(n, positive=True) for n in ("alpha", "rho", "H", "W")})
    value = evaluate(text, scope)
    if not symbolic and isinstance(value, bool):
        condition(text, scope)


HOSTILE = [0, -1, 1, 2, 3, 7, 64, 10**6, 2**31, 2**63, 10**400 // 10**395, 0.5, -0.0, 1e-9, 1e300, float("nan"),
           float("inf"), True, False, None, "", "x", "in", "alpha", "H", "in_channels", "1/0", "10**10**10",
           "round(x, 10**8)", "int((alpha+H+W)**6)", "[1, 2]", "a if True else b", "2**64", "max()", "len(1)",
           "sum([])", "make_divisible(0)", "floor(-1/2)", "-in_channels", [], [1], [1, 2, 3], {}, {"a": 1},
           "blocks/separable.yaml", "../x.yaml", "/etc/passwd", "same", "valid", "relu", "conv2d", "linear",
           "tanh", "none", "*", "1e400", ".nan", "064", "1:30", "yes"]
KEYS = ["op", "name", "inputs", "input", "if", "repeat", "as", "body", "block", "let", "vars", "variants",
        "use", "layers", "blocks", "out_channels", "kernel_size", "stride", "padding", "groups", "bias",
        "reference", "params", "macs", "top1", "eps", "affine", "p", "default_variant", "bogus"]


def _tree_paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _tree_paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _tree_paths(v, path + (i,))


def _get(node, path):
    for k in path:
        node = node[k]
    return node


def mutate_tree(body: bytes) -> bytes:
    """A bundled spec's YAML tree mutated by the bytes in ``body`` (structure-aware mode)."""
    import atheris
    import yaml

    from archcalc.spec.loader import bundled_dir

    fdp = atheris.FuzzedDataProvider(body)
    specs = sorted(bundled_dir().rglob("*.yaml"))
    tree = yaml.safe_load(specs[fdp.ConsumeIntInRange(0, len(specs) - 1)].read_text())
    for _ in range(fdp.ConsumeIntInRange(1, 4)):
        paths = list(_tree_paths(tree))[1:]
        if not paths:
            break
        path = paths[fdp.ConsumeIntInRange(0, len(paths) - 1)]
        parent, key = _get(tree, path[:-1]), path[-1]
        action = fdp.ConsumeIntInRange(0, 4)
        if action <= 1:
            parent[key] = HOSTILE[fdp.ConsumeIntInRange(0, len(HOSTILE) - 1)]
        elif action == 2 and isinstance(parent, dict):
            parent[KEYS[fdp.ConsumeIntInRange(0, len(KEYS) - 1)]] = parent.pop(key)
        elif action == 3 and isinstance(parent, list):
            parent.insert(key, parent[key])
        else:
            del parent[key]
    return yaml.safe_dump(tree, sort_keys=False).encode()


def one_input(data: bytes) -> None:
    """Run one input; raise (or record) anything that is not an ArchcalcError with a one-line message."""
    from archcalc.errors import ArchcalcError

    if not data:
        return
    mode, body = data[0], data[1:]
    # The budget is CPU time (ITIMER_PROF), not wall time: on a shared, loaded machine a wall-clock
    # alarm reported large but legitimate networks as hangs. libFuzzer's -timeout is the wall backstop.
    signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, HANG_SECONDS)
    try:
        if mode % 8 == 6:
            try:
                text = mutate_tree(body)
            except (ValueError, TypeError, IndexError, KeyError, RecursionError):
                return  # the mutation itself did not apply (not a finding)
            run_spec(text, symbolic=False)
        elif mode % 2 == 0:
            run_spec(body, symbolic=mode % 8 == 0)
        else:
            run_expr(body.decode("utf-8", "replace"), symbolic=mode % 4 == 1)
    except ArchcalcError as e:
        if "\n" in str(e) or not str(e).strip():
            finding(data, AssertionError(f"multi-line or empty message: {str(e)[:200]!r}"))
    except Exception as e:  # noqa: BLE001 - every other exception is a finding
        finding(data, e)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def signature(e: BaseException) -> str:
    """Exception type and the innermost archcalc frame: one line per distinct crash."""
    package = str(Path(__import__("archcalc").__file__).parent)
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(package)]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno} {frames[-1].name}" if frames else "?"
    return f"{type(e).__name__} at {where}"


def finding(data: bytes, e: BaseException) -> None:
    """Save the input and its signature; re-raise unless ARCHCALC_FUZZ_KEEP_GOING=1."""
    sig = signature(e)
    FINDINGS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    (FINDINGS / f"{digest}.bin").write_bytes(data)
    with open(FINDINGS / "log.jsonl", "a") as f:
        f.write(json.dumps({"time": time.time(), "signature": sig, "input": f"{digest}.bin",
                            "message": str(e)[:300], "new": sig not in _seen}) + "\n")
    if sig not in _seen:
        _seen.add(sig)
        print(f"\nFINDING {sig}: {str(e)[:200]} (input {FINDINGS / (digest + '.bin')})", file=sys.stderr)
    if not KEEP_GOING:
        raise e


def make_corpus(directory: Path) -> None:
    """Seed inputs: every bundled spec and block (mode byte 0x02) and a few expressions (0x01)."""
    from archcalc.spec.loader import bundled_dir

    directory.mkdir(parents=True, exist_ok=True)
    for p in sorted(bundled_dir().rglob("*.yaml")):
        (directory / f"spec-{p.stem}").write_bytes(b"\x02" + p.read_bytes())
    for i in range(16):
        (directory / f"tree-{i}").write_bytes(b"\x06" + bytes([i * 7 % 256, i, 3 * i % 256, 2, 9, i]) * 4)
    for i, e in enumerate(["int(32 * alpha)", "make_divisible(in_channels * 0.25)", "round(224 * rho)",
                           "H // 2 if flag else W", "max(widths) + len(widths)", "2**i * 16", "[3, 3]",
                           "sum(widths) / 3", "floor(H / 2) + ceil(W / 3)"]):
        (directory / f"expr-{i}").write_bytes(b"\x01" + e.encode())


def replay(paths: list[str]) -> int:
    """Run saved inputs once each (no atheris needed); print their outcome; status 1 if any is a finding."""
    global KEEP_GOING
    KEEP_GOING = True
    before = len(_seen)
    for p in paths:
        one_input(Path(p).read_bytes())
    return 1 if len(_seen) > before else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], add_help=False)
    parser.add_argument("--make-corpus", metavar="DIR")
    parser.add_argument("--replay", nargs="+", metavar="FILE")
    args, rest = parser.parse_known_args()
    if args.make_corpus:
        make_corpus(Path(args.make_corpus))
        return
    if args.replay:
        sys.exit(replay(args.replay))
    import atheris

    with atheris.instrument_imports(include=["archcalc"]):
        import archcalc.api  # noqa: F401
        import archcalc.spec.expr  # noqa: F401
        import archcalc.proofs  # noqa: F401
    atheris.Setup([sys.argv[0], *rest], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
