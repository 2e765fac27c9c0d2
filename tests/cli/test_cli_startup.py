"""Start-up (issue 16): what ``archcalc --version``, ``--help`` and ``cost`` import and build.

Each case runs in a fresh interpreter and reports ``sys.modules`` after the command, so
a module put back on a path fails here (not how long it takes: see benchmarks/commands.py).
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import textwrap

import pytest

import archcalc.cli as cli

HEAVY = ("numba", "matplotlib", "sympy", "networkx", "numpy", "rich", "scipy", "torch")
COMMAND_MODULES = sorted({f"archcalc.cli.{m}" for m, _ in cli.COMMANDS.values()})


def _after(argv: list[str], probe: str = "None") -> dict:
    """Run ``archcalc ARGV`` in a fresh process; its exit status, stdout and loaded modules."""
    code = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from archcalc.cli import main
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                main({argv!r})
        except SystemExit as e:
            status = e.code
        extra = {probe}
        print(json.dumps({{"status": status, "out": out.getvalue(), "modules": sorted(sys.modules),
                          "extra": extra}}))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.splitlines()[-1])


def test_version_imports_no_cli_framework_nor_pydantic():
    r = _after(["--version"])
    assert r["status"] == 0 and r["out"] == f"archcalc {__import__('archcalc').__version__}\n"
    loaded = set(r["modules"])
    assert not loaded & {"typer", "click", "pydantic", "yaml", "tabulate", *HEAVY}
    assert not [m for m in loaded if m.startswith("archcalc.") and m not in ("archcalc.cli", "archcalc.errors")]


def test_help_imports_no_command_module():
    r = _after(["--help"])
    assert r["status"] == 0
    for name in cli.COMMANDS:
        assert f"\n  {name} " in r["out"]
    loaded = set(r["modules"])
    assert not loaded & set(COMMAND_MODULES), sorted(loaded & set(COMMAND_MODULES))
    assert not loaded & {"pydantic", "yaml", "tabulate", "typer.rich_utils", *HEAVY}
    assert not [m for m in loaded if m.startswith("archcalc.") and m not in ("archcalc.cli", "archcalc.errors")]


def test_cost_imports_only_its_own_path():
    probe = ("[[v.__name__ for m in list(sys.modules) if m.startswith('archcalc.ops.') "
             "for v in vars(sys.modules[m]).values() if isinstance(v, type) and v.__module__ == m "
             "and getattr(v, '__pydantic_complete__', False)], 'OPS' in vars(sys.modules['archcalc.ops'])]")
    r = _after(["cost", "specs/resnet.yaml", "--variant", "50", "--summary"], probe)
    assert r["status"] == 0 and "4,089,184,256" in r["out"]
    loaded = set(r["modules"])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "importlib.metadata" not in loaded  # pydantic's plugin scan, tabulate's own version
    others = loaded & set(COMMAND_MODULES) - {"archcalc.cli.cost", "archcalc.cli.conventions"}
    assert not others, sorted(others)  # (cost takes conventions' --convention)
    # nor what only its options need: --training's rules, compare's rows
    assert not loaded & {"archcalc.training", "archcalc.report.compare", "archcalc.report.html"}
    assert not [m for m in loaded if m.startswith(("archcalc.executor", "archcalc.proofs.", "archcalc.study",
                                                      "archcalc.importers", "archcalc.exporters"))]
    # only the modules of the ops that specs/resnet.yaml and its block file name are imported
    # (archcalc.ops.WHERE): not the PyTorch/ONNX bridge ops', and OPS (all of them) is never collected
    built, collected = r["extra"]
    assert "archcalc.ops.bridge" not in loaded and "archcalc.ops.conv" in loaded and not collected
    # and only their classes have built their validators (defer_build; the block file's SE
    # blocks: Sigmoid, Silu, Mul), 11 of 34
    assert sorted(built) == ["Add", "BatchNorm", "Conv2d", "Flatten", "GlobalAvgPool", "Linear",
                                  "MaxPool", "Mul", "Relu", "Sigmoid", "Silu"]


def test_command_table_matches_the_commands():
    """COMMANDS (what ``--help`` lists without importing) is exactly what the modules register."""
    import importlib

    import typer.main

    for info in pkgutil.iter_modules(cli.__path__):
        if info.name not in cli.NOT_COMMANDS and not info.name.startswith("_"):
            importlib.import_module(f"archcalc.cli.{info.name}")
    found = {}
    for c in cli.app.registered_commands:
        found[c.name or typer.main.get_command_name(c.callback.__name__)] = (
            c.callback.__module__.rsplit(".", 1)[1], cli._first_paragraph(c.callback))
    for g in cli.app.registered_groups:
        module = g.typer_instance.registered_commands[0].callback.__module__.rsplit(".", 1)[1]
        found[g.name] = (module, cli._first_paragraph(g.typer_instance.info.help))
    assert found == cli.COMMANDS


@pytest.mark.parametrize("argv", [["cots"], ["prove"], ["plot", "--help"], ["devices", "--help"]])
def test_lazy_group_keeps_usage_and_subgroups(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    out = capsys.readouterr()
    if argv == ["cots"]:
        assert e.value.code == 2
        assert out.err == "archcalc: No such command 'cots'. Did you mean 'cost'? (see 'archcalc --help')\n"
    else:
        assert "Commands:" in out.out + out.err


def test_start_up_runs_without_the_collector_then_freezes_and_turns_it_back_on():
    """The first ``main`` of a process starts with the collector off; once the command's
    module is in, what is alive is frozen (never walked again) and the collector is on
    for the command itself."""
    probe = "[__import__('gc').isenabled(), __import__('gc').get_freeze_count()]"
    r = _after(["cost", "resnet", "--variant", "50", "--summary"], probe)
    enabled, frozen = r["extra"]
    assert r["status"] == 0 and "params" in r["out"]
    assert enabled is True
    assert frozen > 20_000  # typer, pydantic, the op classes ... (about 45k objects)


def test_a_second_main_and_a_callers_switched_off_collector_are_left_alone():
    code = textwrap.dedent("""
        import contextlib, gc, io, json
        from archcalc.cli import main

        def run(argv):
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    main(argv)
            except SystemExit as e:
                return e.code

        gc.disable()
        first = run(["--help"]), gc.isenabled(), gc.get_freeze_count()
        gc.enable()
        second = run(["cost", "resnet", "--variant", "50", "--summary"]), gc.isenabled(), gc.get_freeze_count()
        print(json.dumps([first, second]))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second = json.loads(r.stdout.splitlines()[-1])
    assert first == [0, False, 0]  # the caller had turned it off: it stays off, nothing frozen
    assert second == [0, True, 0]  # not the process's first main: the collector is not touched


@pytest.mark.parametrize("argv", [["cost", "resnet", "--variant", "50", "--symbolic", "--summary"],
                                  ["prove", "dsc"]])
def test_a_symbolic_command_imports_sympy_as_start_up(argv):
    """sympy's import (an eighth of it in the collector) runs with the collector off and is
    frozen after, like the rest of start-up."""
    probe = "[__import__('gc').isenabled(), __import__('gc').get_freeze_count(), 'sympy' in sys.modules]"
    r = _after(argv, probe)
    enabled, frozen, has_sympy = r["extra"]
    assert r["status"] == 0 and has_sympy and enabled is True
    numeric = _after(["cost", "resnet", "--variant", "50", "--summary"], probe)["extra"][1]
    assert frozen > numeric + 50_000  # sympy's objects (about 80k) are frozen too
