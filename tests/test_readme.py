"""README.md keeps its promises: a two-command Quickstart and current example outputs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_has_exactly_two_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```[a-z]*\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    commands = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(commands) == 2
    assert "archcalc cost specs/mobilenet.yaml --alpha 0.75" in commands[0]
    assert "pytest" in commands[1] and "[test]" in commands[1]


def test_ci_runs_the_readme_test_command():
    text = (ROOT / "README.md").read_text()
    test_cmd = text.split("## Quickstart", 1)[1].split("```", 2)[1].strip().splitlines()[-1]
    assert test_cmd.strip() in (ROOT / ".ci" / "run").read_text()


def test_readme_examples_are_current():
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "update_readme.py"), "--check"],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
