"""The library names settings in its own terms; only the CLI speaks flags (issue 10).

A library error names the parameter (``step``, ``max_bytes``, ``var alpha``); the CLI
re-spells it with the flag the user typed (``--step``, ``--max-bytes``, ``--alpha``), through
:meth:`archcalc.errors.ArchcalcError.spelled` and ``cli.options.flag_for``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import archcalc
from archcalc.cli import main
from archcalc.errors import ArchcalcError, LimitError, SettingError, SpecError

PACKAGE = Path(archcalc.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[A-Za-z][\w-]*")


def _error_strings(source: str):
    """(line, text) of every string literal (f-string parts included) in a function that raises,
    or in a raise statement at module level; docstrings left out."""
    tree = ast.parse(source)
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
              and any(isinstance(m, ast.Raise) for m in ast.walk(n))]
    scopes += [n for n in tree.body if isinstance(n, ast.Raise)]
    for scope in scopes:
        for n in ast.walk(scope):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs:
                yield n.lineno, n.value


def flag_strings(source: str) -> list[tuple[int, str]]:
    return [(line, text) for line, text in _error_strings(source) if FLAG.search(text)]


def test_no_library_error_names_a_flag():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        found += [f"{path.relative_to(PACKAGE.parent)}:{line}: {text!r}"
                  for line, text in flag_strings(path.read_text())]
    assert not found, "library errors that speak CLI flags (name the setting; the CLI maps it):\n" + "\n".join(found)


def test_the_scan_sees_flags_in_errors():
    # the shapes the library used to have: in the raise, and in a tuple feeding it
    assert flag_strings('def f(by):\n    raise SpecError(f"--by: unknown grouping {by}")\n')
    assert flag_strings('def f(t):\n    for flag, v in (("--tolerance", t),):\n        raise E(f"{flag} bad")\n')
    assert not flag_strings('def f():\n    """Use --by."""\n    raise SpecError("by: unknown")\n')
    assert not flag_strings('CSS = ":root{--fg:#000}"\n')


def test_library_wording_and_cli_spelling():
    from archcalc.cli.options import flag_for
    from archcalc.proofs.compound import check_grid

    with pytest.raises(SettingError) as e:
        check_grid(0.1, 1e-9)
    assert str(e.value) == "step 1e-09 is too small (the grid step must be at least 0.001)"
    assert e.value.spelled(flag_for) == "--step 1e-09 is too small (the grid step must be at least 0.001)"
    with pytest.raises(SettingError) as e:
        check_grid(0, 0.1)
    assert str(e.value) == "tolerance and step must be > 0, got 0 and 0.1"
    assert e.value.spelled(flag_for) == "--tolerance and --step must be > 0, got 0 and 0.1"
    from archcalc.report.breakdown import check_grouping

    with pytest.raises(SettingError, match=r"^by: unknown grouping 'nope' \(choose from op, "):
        check_grouping("nope")


def test_text_added_to_a_named_message_is_kept():
    e = LimitError.naming("lower {resolution} or raise {max_bytes}", "resolution", "max_bytes")
    e.message = "entry 2: " + e.message + " (now)"
    assert e.spelled(lambda s: "--" + s.replace("_", "-")) == "entry 2: lower --resolution or raise --max-bytes (now)"
    assert str(e) == "entry 2: lower resolution or raise max_bytes (now)"
    assert SpecError("plain {braces}").spelled(str.upper) == "plain {braces}"
    assert ArchcalcError.naming("{x} got '{v}'", "x", v="{not a field}").spelled(str.upper) == "X got '{not a field}'"


@pytest.mark.parametrize("library, cli", [
    ("by", "--by"), ("max_bytes", "--max-bytes"), ("sets", "--set"), ("args", "--arg"),
    ("allow_use", "--allow-use-dir"), ("input_shape", "--input"), ("var alpha", "var alpha")])
def test_flag_for(library, cli):
    from archcalc.cli.options import flag_for

    assert flag_for(library) == cli


@pytest.mark.parametrize("argv, message", [
    (["validate", "mobilenet", "-r", "32", "--max-macs", "1M"],
     "(12.61M), over the limit of 1000000 (1M); lower --resolution/--batch or raise --max-macs"),
    (["validate", "mobilenet", "--max-bytes", "0"], "archcalc: --max-bytes must be at least 1, got '0'"),
    (["prove", "width-multiplier", "--spec", "mobilenet", "--symbol", "zeta"],
     "archcalc: --symbol: the spec has no var 'zeta' (its vars: "),
    (["prove", "compound-scaling", "--step", "0.001"],
     "archcalc: --step 0.001 gives 1001 values per axis (limit 201); use a larger --step"),
    (["cost", "mobilenet", "--set", "alpha=1", "--set", "alpha=2"],
     "archcalc: --set alpha=1 and --set alpha=2 both set 'alpha'; give one"),
])
def test_cli_names_the_flag(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith(message) or message in err, err
    assert err.count("\n") == 1
