"""The layering of docs/layout.md, enforced: import-linter's contracts (pyproject.toml) all hold.

A back-arrow — report importing api, the executor importing cost, an op importing the
loader, a proof importing numba kernels — fails here. Function-level imports count.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> subprocess.CompletedProcess:
    pytest.importorskip("importlinter")
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_import_contracts_hold():
    r = _lint_imports()
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_no_import_cycles_between_modules():
    grimp = pytest.importorskip("grimp")
    import networkx as nx

    sys.path.insert(0, str(ROOT))
    g = grimp.build_graph("archcalc", cache_dir=None, exclude_type_checking_imports=True)
    edges = [(m, d) for m in g.modules for d in g.find_modules_directly_imported_by(m)]
    cycles = [sorted(c) for c in nx.strongly_connected_components(nx.DiGraph(edges)) if len(c) > 1]
    assert cycles == []


def test_the_contracts_catch_a_back_arrow(tmp_path):
    """A copy of the package with report importing api breaks the 'pipeline' contract."""
    import shutil

    shutil.copytree(ROOT / "archcalc", tmp_path / "archcalc", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    tables = tmp_path / "archcalc" / "report" / "tables.py"
    tables.write_text(tables.read_text() + "\n\ndef _back():\n    from archcalc.api import analyze  # noqa\n")
    pytest.importorskip("importlinter")
    code = ("import sys; sys.path.insert(0, '.'); from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())")
    r = subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode != 0
    assert "archcalc.report.tables -> archcalc.api" in r.stdout
