"""``archcalc validate``: every bundled spec and variant executes and agrees with the static model.

Resolution: 64 for ImageNet-sized specs (enough for every stride-32 network:
64 / 32 = 2), a spec's own smaller input (CIFAR: 32) otherwise — the same rule
as ``archcalc validate --all --resolution 64``. Weights and inputs are seeded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from archcalc.cli import main
from archcalc.validate import configurations, native_resolution, validate
from archcalc.spec.loader import bundled_specs

RESOLUTION = 64
CONFIGS = [(p.stem, v) for p in bundled_specs() for v in configurations(p)]


@pytest.mark.parametrize("spec,variant", CONFIGS, ids=[f"{s}:{v}" for s, v in CONFIGS])
def test_bundled_spec_executes_as_predicted(spec, variant):
    res = min(RESOLUTION, native_resolution(spec, variant))
    r = validate(spec, variant, resolution=res)
    assert r.ok, f"{spec} {variant} at {res}: {r.summary()}"
    assert r.layers and all(c.counted_macs == c.static_macs for c in r.layers)
    assert r.peak["measured"] == r.peak["predicted"] > 0


TINY = """\
name: tiny residual
input: [4, 4, 4]
layers:
  - {op: conv2d, name: a, out_channels: 8, kernel_size: 1}
  - {op: relu, name: b}
  - {op: conv2d, name: c, out_channels: 4, kernel_size: 1}
  - {op: add, name: d, inputs: [c, in]}
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return str(path)


def test_peak_by_hand(tiny):
    """Liveness by hand (elements per sample): input 64 is held until d; a = 128, b = 128, c = 64.
    After a: 64+128 = 192; after b: 64+128+128 = 320 (a dies after b); after c: 64+128+64 = 256
    (b dies); after d: 64+64+64 = 192. Peak 320 elements at b; batch 2, fp32: 320*2*4 = 2560 B."""
    r = validate(tiny, batch=2)
    assert r.ok, r.summary()
    assert r.peak["measured"] == 2560 and r.peak["measured_at"] == "b"
    # params by hand: a 4*8 + 8 biases, c 8*4 + 4 biases
    assert r.params["allocated"] == {"weights": 64, "biases": 12}
    assert [c.counted_macs for c in r.layers] == [2 * 16 * 8 * 4, 0, 2 * 16 * 4 * 8, 0]


def test_static_error_is_reported_at_first_differing_layer(tiny, monkeypatch, capsys):
    """A wrong static MAC formula is caught, the layer named, exit status 1."""
    from archcalc.ops.conv import Conv2d

    monkeypatch.setattr(Conv2d, "macs", lambda self, ins, out: 1)
    r = validate(tiny)
    assert not r.ok and r.first_mismatch.name == "a"
    assert "MACs: static 1 vs executed 512" in r.summary()
    with pytest.raises(SystemExit) as e:
        main(["validate", tiny, "--format", "json"])
    assert e.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["first_mismatch"] == "a"


def test_wrong_static_buffers_are_caught(monkeypatch):
    from archcalc.ops.norm import BatchNorm

    monkeypatch.setattr(BatchNorm, "buffers", lambda self, ins: 0)
    r = validate("mobilenet", resolution=32)
    assert not r.ok and r.first_mismatch.op == "batchnorm"


def test_cli_json_contract(capsys):
    with pytest.raises(SystemExit) as e:
        main(["validate", "mobilenet", "--resolution", "32", "--batch", "2", "--format", "json"])
    assert e.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True
    first = out["layers"][0]
    assert set(first) >= {"name", "static_shape", "executed_shape", "static_macs", "counted_macs", "ok"}
    # conv0 by hand: 3x3 stride 2 "same" on 32x32 -> 16x16x32, 27 MACs each, batch 2
    assert first["executed_shape"] == [32, 16, 16] and first["counted_macs"] == 2 * 16 * 16 * 32 * 27
    pk = out["peak_activation_bytes"]
    assert isinstance(pk["predicted"], int) and pk["predicted"] == pk["measured"]


def test_cli_table_and_summary(capsys, tiny):
    with pytest.raises(SystemExit) as e:
        main(["validate", tiny])
    assert e.value.code == 0
    text = capsys.readouterr().out
    assert "counted MACs" in text and "OK: all 4 layers agree" in text


@pytest.mark.parametrize("argv,message", [
    (["validate", "no-such-spec"], "no spec file"),
    (["validate", "mobilenet", "--variant", "nope"], "has no variant 'nope'"),
    (["validate"], "either a SPEC or --all"),
    (["validate", "mobilenet", "--all"], "either a SPEC or --all"),
    (["validate", "mobilenet", "--format", "xml"], "'xml' is not one of 'table'"),
])
def test_bad_input_exits_2(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_validate_all_json(capsys, monkeypatch):
    """--all walks every bundled configuration (here restricted to MobileNet v1 for speed)."""
    from archcalc.spec import loader

    only = [p for p in bundled_specs() if p.stem == "mobilenet"]
    monkeypatch.setattr(loader, "bundled_specs", lambda: only)
    with pytest.raises(SystemExit) as e:
        main(["validate", "--all", "--resolution", "32", "--format", "json"])
    assert e.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and [r["variant"] for r in out["runs"]] == [None, "full-conv", "shallow"]
    assert all(r["input"] == [3, 32, 32] for r in out["runs"])


def test_cost_does_not_import_numba():
    code = textwrap.dedent("""
        import sys
        from archcalc.cli import main
        try:
            main(["cost", "mobilenet", "--summary"])
        except SystemExit:
            pass
        print("numba" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")


def test_op_without_kernel_is_a_named_mismatch(tiny, monkeypatch, capsys):
    from archcalc.executor.dispatch import KERNELS
    from archcalc.ops.activation import Relu

    monkeypatch.delitem(KERNELS, Relu)
    r = validate(tiny)
    assert not r.ok and r.first_mismatch.name == "b"
    assert "no executor kernel for Relu" in r.summary()
    with pytest.raises(SystemExit) as e:
        main(["validate", tiny, "--summary"])
    assert e.value.code == 1
    assert "MISMATCH at layer 'b'" in capsys.readouterr().out


def test_validate_all_in_worker_processes_gives_the_same_reports(monkeypatch):
    """validate_all over 2 forked workers: the same reports (timings aside) in document order as
    in-process, every spec loaded once, ``done`` called once per configuration (in this process)."""
    import os

    from archcalc import api
    from archcalc.spec import loader
    from archcalc.validate import validate_all

    only = [p for p in bundled_specs() if p.stem in ("mobilenet", "mobilenet_v2")]
    monkeypatch.setattr(loader, "bundled_specs", lambda: only)
    parent, loads, real_load = os.getpid(), [], api._load

    def load_here(spec, *a, **k):  # a worker that loaded a spec again would fail here
        assert os.getpid() == parent, "a worker loaded a spec"
        loads.append(spec)
        return real_load(spec, *a, **k)

    monkeypatch.setattr(api, "_load", load_here)
    seen = []
    done = lambda o: seen.append((o.name, os.getpid()))  # noqa: E731
    two = validate_all(32, jobs=2, done=done)
    assert len(loads) == len(only)  # once per spec, in this process
    one = validate_all(32, jobs=1)
    strip = lambda o: {k: v for k, v in o.report.to_dict().items() if k != "seconds"}  # noqa: E731
    assert [o.name for o in two] == [o.name for o in one] == [
        "mobilenet", "mobilenet full-conv", "mobilenet shallow", "mobilenet_v2"]
    assert [strip(o) for o in two] == [strip(o) for o in one]
    assert all(o.report.ok and o.error is None for o in two)
    assert sorted(n for n, _ in seen) == sorted(o.name for o in two) and {p for _, p in seen} == {parent}
