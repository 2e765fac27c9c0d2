"""CLI smoke tests of compare, sweep, breakdown, graph and plot; matplotlib stays out of start-up."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from archcalc.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_compare_formats():
    for fmt in ("table", "markdown", "latex", "csv", "json"):
        r = run("compare", "mobilenet", "mobilenet:shallow", "--format", fmt)
        assert r.exit_code == 0, r.output
        assert "MobileNet v1" in r.output
    r = run("compare", "mobilenet", "--format", "csv", "--columns", "macs")
    assert r.output.splitlines()[1] == "MobileNet v1,default,568740352"  # Table 1 summed by hand


def test_sweep_plot_and_errors(tmp_path):
    out = tmp_path / "grid.svg"
    r = run("sweep", "mobilenet", "--alpha", "1,0.5", "--rho", "1,4/7", "--plot", str(out), "--format", "csv",
            "--columns", "input")
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("<?xml")
    assert "1,4/7,3x128x128" in r.output  # rho = 4/7 -> 128 (Table 7)
    assert run("sweep", "mobilenet", "--alpha", "1,,2").exit_code != 0
    assert run("sweep", "mobilenet", "--alpha", "1", "--plot", str(tmp_path / "x.gif")).exit_code != 0


def test_breakdown_graph_plot(tmp_path):
    r = run("breakdown", "mobilenet", "--by", "kind", "--plot", str(tmp_path / "b.png"))
    assert r.exit_code == 0 and "94.86%" in r.output
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run("breakdown", "mobilenet", "--by", "nope").exit_code != 0
    r = run("graph", "mobilenet", "--format", "mermaid", "--collapse")
    assert r.exit_code == 0 and "block0.sep" in r.output
    r = run("plot", "accuracy", "mobilenet", "--out", str(tmp_path / "acc.svg"))
    assert r.exit_code == 0 and (tmp_path / "acc.svg").exists()


def test_matplotlib_not_imported_at_startup():
    code = "import sys, archcalc.cli; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
