"""DSC: ratio 1/N + 1/k², checked by sympy and against the paper's Table 3 layer (k=3, M=N=512, D_f=14)."""

import json
from fractions import Fraction

import pytest
import sympy
from typer.testing import CliRunner

from archcalc.cli import app
from archcalc.proofs.dsc import dsc_steps, layer_check, prove_dsc


def test_symbolic_ratio():
    steps, results, ok = dsc_steps()
    M, N, k, D = sympy.symbols("M N k D_f", positive=True)
    assert ok
    assert sympy.simplify(results["ratio"] - (1 / N + 1 / k**2)) == 0
    # the intermediate costs, written out by hand from the paper's section 3.1
    exprs = {s.text: s.expr for s in steps}
    assert sympy.simplify(exprs["Standard conv cost in multiply-adds"].rhs - k * k * M * N * D * D) == 0
    assert sympy.simplify(exprs["Depthwise cost"].rhs - k * k * M * D * D) == 0
    assert sympy.simplify(exprs["Pointwise cost"].rhs - M * N * D * D) == 0


def test_table3_layer_numbers():
    # Howard et al. 2017, Table 3: full conv 462M mult-adds / 2.36M params; DSC 52.3M / 0.27M.
    # By hand: 3*3*512*512*14*14 = 462,422,016; 3*3*512*14*14 + 512*512*14*14 = 52,283,392.
    table, ok, v = layer_check("mobilenet", "block6.sep")
    assert ok
    assert (v["M"], v["N"], v["k"], v["D_f"]) == (512, 512, 3, 14)
    assert v["standard_macs"] == 462_422_016 and v["dsc_macs"] == 52_283_392
    assert v["standard_weights"] == 2_359_296 and v["dsc_weights"] == 3 * 3 * 512 + 512 * 512


def test_typical_value():
    p = prove_dsc()
    assert p.holds
    assert abs(p.results["typical"]["value"] - (1 / 512 + 1 / 9)) < 1e-15
    assert 0.112 < p.results["typical"]["value"] < 0.114
    assert 8 < p.results["typical"]["times_less"] < 9


def test_efficientnet_mbconv_layer():
    # stage 3 of B0 (40 -> 80, expansion 6, k=3) at 14x14: M = 240 expanded channels, N = 80.
    _, ok, v = layer_check("efficientnet", "stage3.block0", variant="b0")
    assert ok and (v["M"], v["N"], v["k"], v["D_f"]) == (240, 80, 3, 14)
    assert Fraction(v["dsc_macs"], v["standard_macs"]) == Fraction(1, 80) + Fraction(1, 9)


def test_cli_json_contract():
    out = CliRunner().invoke(app, ["prove", "dsc", "--format", "json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["holds"] is True and {"claim", "steps", "ratio"} <= set(d)
    M, N, k, D = sympy.symbols("M N k D_f", positive=True)
    got = sympy.parse_expr(d["ratio"], {"M": M, "N": N, "k": k, "D_f": D})
    assert sympy.simplify(got - (1 / N + 1 / k**2)) == 0


def test_cli_layer_errors():
    r = CliRunner().invoke(app, ["prove", "dsc", "--spec", "mobilenet", "--layer", "conv0"])
    assert r.exit_code != 0
    assert "no depthwise conv" in str(r.exception)


def test_stride_two_layer_note_does_not_claim_stride_one():
    # MobileNet block11 has a stride-2 depthwise conv (Table 1: 14x14x512 -> 7x7x1024); the note used to
    # say "stride 1 ... make it the input size too" for every layer.
    from archcalc.proofs.dsc import prove_dsc

    p = prove_dsc(spec="mobilenet", layer="block11.sep")
    assert p.holds and p.results["layer"]["stride"] == 2 and p.results["layer"]["D_f"] == 7
    assert not any("stride 1" in n for n in p.notes) and any("stride 2" in n for n in p.notes)
    assert any("stride 1" in n for n in prove_dsc().notes)


def test_layer_error_says_how_many_depthwise_convs_are_not_listed(capsys):
    # MobileNet v1 has 13 depthwise separable layers (Howard et al. 2017, Table 1); the message
    # listed the first 8 without saying that 5 more exist.
    from archcalc.cli import main

    with pytest.raises(SystemExit) as e:
        main(["prove", "dsc", "--spec", "mobilenet", "--layer", "nope"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1
    assert "block7.sep.dw, … and 5 more (13 in all)" in err
