"""Compound scaling: (alpha*beta^2*gamma^2)^phi from the conv formula; EfficientNet B0..B7 measured."""

import json
from fractions import Fraction

import sys

import pytest
import sympy

from archcalc.proofs.compound import grid, prove_compound, stack_steps


def test_stack_identity():
    _, results, ok = stack_steps()
    a, b, g, phi = sympy.symbols("alpha beta gamma phi", positive=True)
    d, w, r = sympy.symbols("d w r", positive=True)
    assert ok
    assert sympy.simplify(results["stack_ratio"] - d * w**2 * r**2) == 0
    assert sympy.simplify(results["flops_ratio"] - (a * b**2 * g**2) ** phi) == 0


def test_grid_respects_the_constraint():
    cands = grid(0.05, 0.05)
    assert (Fraction(6, 5), Fraction(11, 10), Fraction(23, 20)) not in cands  # 1.92027 is 0.0797 below 2
    assert (Fraction(6, 5), Fraction(11, 10), Fraction(23, 20)) in grid(0.08, 0.05)
    assert all(abs(a * b * b * g * g - 2) <= Fraction(1, 20) and min(a, b, g) >= 1 for a, b, g in cands)


@pytest.fixture(scope="module")
def proof():
    return prove_compound()


def test_network_confrontation(proof):
    assert proof.holds
    # torchvision docs GFLOPS (= conv+linear GMACs): B0 0.386, B7 37.746 (published-numbers.md §9(c))
    m = proof.results["measured"]
    assert m["b0"] == 385_814_752
    assert abs(m["b7"] / 1e9 - 37.746) < 0.0005
    ratios = proof.tables[0]
    b7 = ratios.rows[-1]
    assert b7[2] == f"{2.0 ** 7:.3f}" and b7[3] == f"{1.92027 ** 7:.3f}"
    assert abs(float(b7[-1]) - 37.746 / 0.3858) < 0.02


def test_cli_json(proof):
    from typer.testing import CliRunner

    from archcalc.cli import app

    out = CliRunner().invoke(app, ["prove", "compound-scaling", "-f", "json", "--tolerance", "0.02", "--step", "0.1"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    a, b, g, phi = sympy.symbols("alpha beta gamma phi", positive=True)
    got = sympy.parse_expr(d["flops_ratio"], {"alpha": a, "beta": b, "gamma": g, "phi": phi})
    assert d["holds"] and sympy.simplify(got - (a * b**2 * g**2) ** phi) == 0



def test_grid_search_too_fine_is_a_quick_user_error(monkeypatch):
    # --step 0.01 used to run 5,161 network analyses (3.5 minutes); --step 1e-6 never finished.
    # The error must come before any analysis (no timing: the machines are shared).
    import archcalc.api

    from archcalc.errors import SpecError

    def no_analysis(*args, **kwargs):
        raise AssertionError("an analysis ran before the --step check")

    monkeypatch.setattr(archcalc.api, "analyze", no_analysis)
    module = sys.modules[prove_compound.__module__]
    if hasattr(module, "analyze"):  # imported at module level
        monkeypatch.setattr(module, "analyze", no_analysis)
    for step in (0.01, 0.000001):
        with pytest.raises(SpecError, match=r"\bstep\b"):
            prove_compound(step=step)


def _cli_error(argv, capsys) -> tuple[int, str]:
    """Exit status and stderr of ``archcalc argv`` through the real entry point."""
    from archcalc.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    return e.value.code, capsys.readouterr().err


def test_not_a_compound_family_is_a_one_line_user_error(capsys):
    # MobileNet v1 has variants full-conv/shallow and a width var alpha: it used to fail with
    # "has no variant 'b0'", which did not say what the command needs.
    status, err = _cli_error(["prove", "compound-scaling", "--spec", "mobilenet"], capsys)
    assert status == 2 and err.count("\n") == 1 and "compound-scaled family" in err
    assert "variant b0" in err and "width_mult, depth_mult, resolution" in err.split("lacks")[1]
    # specs/resnet.yaml declares `resolution: 224` but none of the others: only what is absent is named
    status, err = _cli_error(["prove", "compound-scaling", "--spec", "resnet"], capsys)
    assert status == 2 and "resolution" not in err.split("lacks")[1]
