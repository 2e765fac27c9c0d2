"""The options every command shares (issue 9's CLI rough edges, issue 10's point options).

Figures: torchvision's ResNet-50 costs 4,089,184,256 MACs at 224x224 (its docs: 4.09 GFLOPS)
and 2,921,431,040 MACs at 224x160 (torch.utils.flop_counter.FlopCounterMode on
resnet50() with a 1x3x224x160 input, total FLOPs / 2; re-measured by
test_non_square_input_matches_torch where torchvision is installed). With the stride on the
first 1x1 (Caffe's ResNet, ``stride_on_1x1: true``) the 3x3 convs of the first block of each
stage run at the reduced size: 3,857,973,248 MACs (the same value as the spec's Python API
gives for ``stride_on_1x1=True``, which does not go through the command line's parsing).
"""

from __future__ import annotations

import json
import re

import pytest

from archcalc.api import analyze
from archcalc.cli import app, main
from archcalc.errors import SettingError

R50_MACS = 4_089_184_256
R50_224x160_MACS = 2_921_431_040


def run(argv, capsys):
    """Run the CLI in-process; (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(list(argv))
        status = 0
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    cap = capsys.readouterr()
    return status, cap.out, cap.err


def ok(argv, capsys) -> str:
    status, out, err = run(argv, capsys)
    assert status == 0, err
    return out


def error(argv, capsys) -> str:
    """The one-line error of a bad command line (exit status 2, no traceback)."""
    status, _, err = run(argv, capsys)
    assert status == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


def macs(argv, capsys) -> int:
    return json.loads(ok(["cost", *argv, "--summary", "-f", "json"], capsys))["totals"]["macs"]


# -------------------------------------------------------------------- SPEC:VARIANT everywhere --
@pytest.mark.parametrize("argv", [
    ["cost", "{}", "--summary", "-f", "json"],
    ["breakdown", "{}", "--by", "stage", "-f", "csv"],
    ["graph", "{}", "-f", "mermaid"],
    ["validate", "{}", "-r", "32", "--summary", "-f", "json"],
    ["sweep", "{}", "-r", "160,224", "--columns", "input,macs", "-f", "csv"],
    ["compare", "{}", "--columns", "macs", "-f", "csv"],
])
def test_spec_colon_variant_on_every_command(argv, capsys):
    colon = ok([a.replace("{}", "resnet:18") for a in argv], capsys)
    if argv[0] != "compare":  # compare has no --variant: SPEC:VARIANT is its only form
        flag = ok([a.replace("{}", "resnet") for a in argv] + ["--variant", "18"], capsys)
        if argv[0] == "validate":  # seconds differ from run to run
            colon, flag = (re.sub(r'"seconds": [0-9.e-]+', "", t) for t in (colon, flag))
        if argv[0] == "sweep":  # --variant 18 is an axis of one value: one more label column
            flag = "".join(line.partition(",")[2] + "\n" for line in flag.splitlines())
        assert colon == flag
    assert colon != ok([a.replace("{}", "resnet:34") for a in argv], capsys)  # the variant was applied


def test_spec_colon_variant_in_prove_and_conflicts(capsys):
    out = ok(["prove", "width-multiplier", "--spec", "wide_resnet:wrn-28-10", "-f", "json"], capsys)
    assert out == ok(["prove", "width-multiplier", "--spec", "wide_resnet", "-v", "wrn-28-10", "-f", "json"], capsys)
    assert "name two variants" in error(["cost", "resnet:50", "-v", "18"], capsys)


# ------------------------------------------------------------- values blamed on the command line --
@pytest.mark.parametrize("argv,line", [
    (["cost", "mobilenet", "--alpha", "abc"], "archcalc: --alpha: 'abc' is not a number"),
    (["cost", "mobilenet", "--set", "alpha=abc"], "archcalc: --set alpha=abc: 'abc' is not a number"),
    (["cost", "mobilenet", "-b", "1.5"], "archcalc: --batch: '1.5' is not a positive integer"),
    (["cost", "mobilenet", "-b", "0"], "archcalc: --batch: '0' is not a positive integer"),
    (["cost", "mobilenet", "-r", "abc"], "archcalc: --resolution: 'abc' is not a number"),
    (["cost", "efficientnet", "-r", "abc"], "archcalc: --resolution: 'abc' is not a number"),
    (["cost", "mobilenet", "--variant", "x"], "archcalc: --variant: MobileNet v1 has no variant 'x'"),
    (["compare", "mobilenet", "--alpha", "abc"], "archcalc: --alpha: 'abc' is not a number"),
    (["sweep", "mobilenet", "--alpha", "1,abc"], "archcalc: --alpha: value 'abc'"),
    (["validate", "mobilenet", "--rho", "abc"], "archcalc: --rho: 'abc' is not a number"),
])
def test_command_line_values_are_blamed_on_the_flag(argv, line, capsys):
    msg = error(argv, capsys)
    assert msg.startswith(line), msg
    assert ".yaml" not in msg  # not specs/mobilenet.yaml:10: the spec is not at fault


def test_library_errors_name_the_setting_not_a_flag():
    for kwargs, setting in [({"vars": {"alpha": "abc"}}, "var alpha"), ({"batch": "1.5"}, "batch"),
                            ({"variant": "x"}, "variant"), ({"resolution": "abc"}, "resolution"),
                            ({"vars": {"phi": "1"}}, "var phi"), ({"dtype": "fp8"}, "dtype")]:
        with pytest.raises(SettingError) as e:
            analyze("mobilenet", **kwargs)
        assert e.value.setting == setting and e.value.loc is None
        assert "--" not in e.value.message, e.value.message


# ------------------------------------------------------------------------ true/false in --set --
def test_set_true_false_as_in_yaml(capsys):
    assert macs(["resnet:50", "--set", "stride_on_1x1=false"], capsys) == R50_MACS
    caffe = macs(["resnet:50", "--set", "stride_on_1x1=true"], capsys)
    assert caffe == 3_857_973_248 == analyze("resnet", "50", vars={"stride_on_1x1": True}).totals["macs"]
    assert macs(["resnet:50", "--set", "stride_on_1x1=True"], capsys) == caffe
    assert macs(["resnet:50", "--stride-on-1x1", "true"], capsys) == caffe  # the var's shorthand
    out = ok(["sweep", "resnet:50", "--set", "stride_on_1x1=true,false", "--columns", "macs", "-f", "csv"], capsys)
    assert out.splitlines()[1:] == [f"true,{caffe}", f"false,{R50_MACS}"]


# ------------------------------------------------------------------------------ --version, -h --
def test_version_and_short_help(capsys):
    from archcalc import __version__

    assert ok(["--version"], capsys) == f"archcalc {__version__}\n"
    assert "Commands:" in ok(["-h"], capsys)
    for argv in (["cost"], ["sweep"], ["prove"], ["prove", "dsc"], ["plot", "accuracy"], ["homework"]):
        assert ok([*argv, "-h"], capsys) == ok([*argv, "--help"], capsys)
        assert "Usage: archcalc " + " ".join(argv) in ok([*argv, "-h"], capsys)


# ------------------------------------------------------------------- --help: choices, no cut-off --
def _help(argv, capsys) -> str:
    return " ".join(ok([*argv, "--help"], capsys).split())  # one line: wrapping is not content


@pytest.mark.parametrize("argv,choices", [
    (["cost"], ["--format <table|markdown|latex|csv|json|html>", "--dtype <fp32|fp16|bf16|int8>"]),
    (["compare"], ["--format <table|markdown|latex|csv|json|html>"]),
    (["report"], ["--format <files|html>"]),
    (["breakdown"], ["--by <op|block|stage|kind>", "--format <table|markdown|latex|csv>"]),
    (["graph"], ["--format <dot|mermaid>"]),
    (["compare"], ["--sort <input|params|"]),
    (["sweep"], ["--x <input|params|", "--y <input|params|"]),
    (["validate"], ["--format <table|markdown|latex|csv|json>"]),
    (["prove", "dsc"], ["--format <table|markdown|latex|json>"]),
    (["homework"], ["--format <table|markdown|latex|json>"]),
    (["specs"], ["--format <table|markdown|latex|csv|json>"]),
])
def test_help_lists_the_choices(argv, choices, capsys):
    text = _help(argv, capsys)
    for c in choices:
        assert c in text, (c, text)
    assert "<str>]" not in text


def test_no_command_listing_is_cut_off(capsys):
    for group in ([], ["prove"], ["plot"]):
        listing = ok([*group, "--help"], capsys).split("Commands:")[1]
        assert "..." not in listing, listing
        assert "(e.g. MobileNet's alpha x rho grid)" in " ".join(ok(["--help"], capsys).split())


def test_prove_and_homework_say_table(capsys):
    assert ok(["prove", "dsc", "-f", "table"], capsys) == ok(["prove", "dsc"], capsys)
    assert ok(["homework", "-f", "table"], capsys) == ok(["homework"], capsys)
    assert "'text' is not one of 'table'" in error(["prove", "dsc", "-f", "text"], capsys)


# ----------------------------------------------------------------------------- non-square input --
def test_non_square_input(capsys):
    assert macs(["resnet:50", "--input", "3x224x160"], capsys) == R50_224x160_MACS
    assert macs(["resnet:50", "--resolution", "224x160"], capsys) == R50_224x160_MACS
    assert macs(["resnet:50", "-r", "224x224"], capsys) == R50_MACS == macs(["resnet:50", "-r", "224"], capsys)
    a = json.loads(ok(["cost", "resnet:50", "--input", "1x64x48", "--summary", "-f", "json"], capsys))
    assert a["input"] == [1, 64, 48] and a["layers"][0]["params"] == 64 * 1 * 7 * 7
    # a spec with a `resolution` var (EfficientNet) and one with a multiplier (MobileNet's rho)
    assert json.loads(ok(["cost", "efficientnet:b0", "-r", "224x160", "-f", "json"], capsys))["input"] == [3, 224, 160]
    assert "rho would have no effect" in error(["cost", "mobilenet", "-r", "224x160", "--rho", "1/2"], capsys)
    assert "CxHxW is --input" in error(["cost", "mobilenet", "-r", "3x224x160"], capsys)
    assert "not both" in error(["cost", "mobilenet", "-r", "160", "--input", "3x160x160"], capsys)
    rows = ok(["compare", "resnet:50", "-r", "224x160", "--columns", "input,macs", "-f", "csv"], capsys)
    assert rows.splitlines()[1] == f"ResNet,50,3x224x160,{R50_224x160_MACS}"
    rows = ok(["sweep", "resnet:50", "-r", "224x160,224", "--columns", "macs", "-f", "csv"], capsys)
    assert rows.splitlines()[1:] == [f"224x160,{R50_224x160_MACS}", f"224,{R50_MACS}"]
    out = ok(["validate", "resnet:18", "--input", "3x64x48", "--summary", "-f", "json"], capsys)
    assert json.loads(out)["input"] == [3, 64, 48] and json.loads(out)["ok"] is True


def test_non_square_input_matches_torch():
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("torchvision")
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        tv.models.resnet50().eval()(torch.zeros(1, 3, 224, 160))
    assert fc.get_total_flops() // 2 == R50_224x160_MACS == analyze(
        "resnet", "50", resolution="3x224x160").totals["macs"]


# ------------------------------------------------------------------------------------- progress --
def test_progress_only_on_a_terminal(capsys, monkeypatch):
    argv = ["compare", "resnet:18", "resnet:34", "mobilenet", "--columns", "macs"]
    status, plain, err = run(argv, capsys)
    assert status == 0 and err == ""                      # not a terminal: nothing on stderr
    import archcalc.cli.progress as progress

    monkeypatch.setattr(progress, "interactive", lambda stream=None: True)
    status, shown, err = run(argv, capsys)
    assert status == 0 and shown == plain                 # stdout byte-identical
    assert "ResNet 18: 1.814G MACs" in err and "MobileNet v1 default: 568.7M MACs" in err  # rows stream
    status, _, err = run(["sweep", "mobilenet", "--alpha", "1,0.5", "--columns", "macs"], capsys)
    assert "alpha=0.5: 149.5M MACs" in err


# -------------------------------------------------- point options declared once; the spec's vars --
POINT_COMMANDS = ["cost", "breakdown", "graph", "validate", "compare", "sweep", "roofline"]


def _options(name):
    import click
    from typer.main import get_command

    group = get_command(app)
    cmd = group.get_command(click.Context(group), name)  # the lazy group imports the command's module
    return {o: p for p in cmd.params for o in p.opts}


def test_point_options_are_declared_once():
    """Every command's point options are the ones declared in cli/options.py (same help, same
    metavar), and no command declares a var of some spec (MobileNet's --alpha/--rho used to be)."""
    from archcalc.cli import options

    declared = {"--variant": options.Variant, "--set": options.Sets, "--resolution": options.Resolution,
                "--input": options.Input, "--batch": options.Batch, "--dtype": options.Dtype}
    sweep = {"--variant": options.SweepVariant, "--set": options.SweepSets,
             "--resolution": options.SweepResolution}
    for name in POINT_COMMANDS:
        opts = _options(name)
        for flag, alias in declared.items():
            if flag in opts:
                info = (sweep.get(flag, alias) if name == "sweep" else alias).__metadata__[0]
                assert opts[flag].help == info.help, (name, flag)
        assert not {"--alpha", "--rho", "--phi", "--widen"} & set(opts), name
    assert set(declared) <= set(_options("cost")) and "--input" in _options("validate")


def test_the_specs_own_vars_are_the_shorthands(capsys):
    assert macs(["efficientnet", "--phi", "1"], capsys) == macs(["efficientnet", "--set", "phi=1"], capsys)
    assert macs(["mobilenet", "--alpha", "3/4"], capsys) == 325_400_448  # Howard et al. Table 6: 325M
    assert macs(["mobilenet", "--alpha=3/4"], capsys) == 325_400_448
    msg = error(["cost", "mobilenet", "--phi", "1"], capsys)
    assert msg.startswith("archcalc: --phi: MobileNet v1 has no var 'phi' (its vars: alpha, rho, classes"), msg
    assert "has no var 'alpha' (its vars: classes, resolution" in error(["cost", "resnet", "--alpha", "1"], capsys)
    # sweep: --VAR LIST is an axis of the grid
    out = ok(["sweep", "efficientnet", "--phi", "0,1", "--columns", "input", "-f", "csv"], capsys)
    assert out.splitlines() == ["phi,input", "0,3x224x224", "1,3x258x258"]  # round(224 * 1.15)


def test_validate_all_streams_each_configuration_on_a_terminal(capsys, monkeypatch):
    """`validate --all` (67 s for every bundled spec) prints each finished configuration on a
    terminal's stderr; stdout is the same table either way (here only MobileNet v1, at 32x32)."""
    import archcalc.cli.progress as progress
    from archcalc.spec import loader

    only = [p for p in loader.bundled_specs() if p.stem == "mobilenet"]
    monkeypatch.setattr(loader, "bundled_specs", lambda: only)
    argv = ["validate", "--all", "-r", "32", "-f", "csv"]
    status, plain, err = run(argv, capsys)
    assert status == 0 and err == ""
    monkeypatch.setattr(progress, "interactive", lambda stream=None: True)
    status, shown, err = run(argv, capsys)
    strip = lambda t: re.sub(r",[0-9.]+,ok|\([0-9.]+ s executing[^)]*\)", "", t)  # noqa: E731 (timings)
    assert status == 0 and strip(shown) == strip(plain)
    for name in ("mobilenet: OK", "mobilenet full-conv: OK", "mobilenet shallow: OK"):
        assert name in err, err
    # a non-square --resolution is capped per axis by each spec's native size
    status, out, _ = run(["validate", "--all", "-r", "40x24", "-f", "json"], capsys)
    assert status == 0 and {tuple(r["input"]) for r in json.loads(out)["runs"]} == {(3, 40, 24)}


def test_a_mistyped_option_is_an_error_with_a_suggestion(capsys):
    # an unknown --NAME is a var shorthand only if the spec has that var: a typo never passes
    assert "did you mean --summary?" in error(["cost", "mobilenet", "--sumary"], capsys)
    assert "did you mean --summary?" in error(["cost", "mobilenet", "--sumary", "--per-layer"], capsys)
    msg = error(["cost", "mobilenet", "--fromat", "json"], capsys)
    assert "has no var 'fromat'" in msg and "did you mean --format?" in msg


def test_plot_accuracy_takes_spec_colon_variant(tmp_path, capsys):
    out = ok(["plot", "accuracy", "resnet:50", "--table", "-o", str(tmp_path / "a.svg")], capsys)
    rows = [line.split() for line in out.splitlines() if line.startswith("ResNet")]
    assert rows and all(r[1].rstrip(",") == "50" for r in rows), out
    assert "no reference entry of variant '5'" in error(["plot", "accuracy", "resnet:5", "-o", "a.svg"], capsys)
