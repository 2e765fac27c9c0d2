"""Regenerate the command examples in README.md from real runs: ``python docs/update_readme.py``.

An example in README.md is a marker line, a fenced block and an end marker::

    <!-- example head=12: archcalc cost specs/mobilenet.yaml --alpha 0.75 -->
    ```text
    (output, regenerated)
    ```
    <!-- end example -->

The command runs as ``python -m archcalc ...`` in the repository root; ``head=N``
keeps the first N lines. Timings (``(0.84 s)``) are masked so the text is stable.
``<!-- include: reports/compare.md -->`` ... ``<!-- end include -->`` copies a
generated report (without its comment and headings) into README.md.
``--check`` exits 1 when README.md is not current (tests/test_readme.py runs it).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(
    r"(<!-- example(?: head=(?P<head>\d+))?: (?P<cmd>archcalc [^\n]*?) -->\n)```text\n.*?```\n(<!-- end example -->)",
    re.S,
)
TIMING = re.compile(r"\(\d+(?:\.\d+)? s\)")
INCLUDE = re.compile(r"(<!-- include: (?P<path>[^ ]+) -->\n).*?(<!-- end include -->)", re.S)


def include(path: str) -> str:
    """A generated Markdown report without its generator comment and headings."""
    lines = (ROOT / path).read_text().splitlines()
    body = [line for line in lines if not line.startswith(("<!--", "#"))]
    return "\n".join(body).strip("\n") + "\n"


def run(cmd: str, head: int | None) -> str:
    """Output of ``cmd`` (an ``archcalc ...`` line), first ``head`` lines, timings masked."""
    args = [sys.executable, "-m", "archcalc", *shlex.split(cmd)[1:]]
    env = dict(os.environ, COLUMNS="100", PYTHONHASHSEED="0")
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    text = TIMING.sub("(… s)", out.stdout + out.stderr)
    lines = text.rstrip("\n").split("\n")
    if head is not None and len(lines) > head:
        lines = lines[:head] + ["..."]
    return "\n".join(lines) + "\n"


def render(text: str) -> str:
    def sub(m: re.Match) -> str:
        head = int(m.group("head")) if m.group("head") else None
        return f"{m.group(1)}```text\n{run(m.group('cmd'), head)}```\n{m.group(4)}"

    text = BLOCK.sub(sub, text)
    return INCLUDE.sub(lambda m: f"{m.group(1)}{include(m.group('path'))}{m.group(3)}", text)


def main(argv: list[str]) -> int:
    old = README.read_text()
    new = render(old)
    if "--check" in argv:
        if new != old:
            print("README.md examples are stale: run python docs/update_readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
