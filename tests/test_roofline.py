"""Traffic, arithmetic intensity and the roofline bound (archcalc.roofline), device profiles."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from archcalc.api import analyze
from archcalc.cli import app
from archcalc.errors import SpecError
from archcalc.measure import measure
from archcalc.roofline import Device, bundled_devices, device, roofline, traffic


def test_bundled_devices_load_and_name_sources():
    names = bundled_devices()
    assert {"pixel-7", "raspberry-pi-4", "laptop-i7-1165g7", "epyc-7763", "t4", "a100", "h100"} <= set(names)
    for n in names:
        d = device(n)
        assert d.peak_flops["fp32"] > 0 and d.bandwidth > 0 and d.sources
        assert all(s.title and s.address for s in d.sources)


def test_traffic_no_reuse_rule_by_hand():
    a = analyze("mobilenet")
    name, op, n, flops, read, written = traffic(a)[0]
    # conv0: 3x224x224 input and 3*3*3*32 weights read, 32x112x112 written, fp32
    assert (name, op, n) == ("conv0", "conv2d", 1)
    assert read == (3 * 224 * 224 + 27 * 32) * 4 and written == 32 * 112 * 112 * 4
    assert flops == 2 * 32 * 112 * 112 * 27
    bn = traffic(a)[1]  # batch norm reads its input, affine params and running stats
    assert bn[4] == (32 * 112 * 112 + 2 * 32 + 2 * 32) * 4


def test_fused_rule_counts_conv_bn_relu_once():
    a = analyze("mobilenet")
    plain, fused = traffic(a), traffic(a, fused=True)
    assert fused[0][:3] == ("conv0", "conv2d", 3)  # conv0 + bn0 + relu0
    assert fused[0][4] == plain[0][4] + (2 * 32 + 2 * 32) * 4  # + the BN's parameters and stats
    assert fused[0][5] == plain[2][5]  # writes only the ReLU's output
    assert sum(r[3] for r in fused) == sum(r[3] for r in plain) == a.totals["flops"]
    assert sum(r[4] + r[5] for r in fused) < sum(r[4] + r[5] for r in plain)


def test_bound_and_total():
    a = analyze("resnet", variant="50", dtype="fp16")
    r = roofline(a, device("a100"))
    assert r.ridge == pytest.approx(312e12 / 1555e9)
    for lay in r.layers:
        assert lay.time_s == max(lay.flops / 312e12, lay.bytes / 1555e9)
        assert (lay.bound == "compute") == (lay.intensity >= r.ridge)
    assert r.time_s == pytest.approx(sum(lay.time_s for lay in r.layers))
    assert r.flops == a.totals["flops"]


def test_device_errors(tmp_path):
    with pytest.raises(SpecError, match="no device 'pixel-99'"):
        device("pixel-99")
    bad = tmp_path / "d.yaml"
    bad.write_text("name: x\npeak_flops: {fp32: -1}\nbandwidth: 1\n")
    with pytest.raises(SpecError, match="peak_flops"):
        device(bad)
    with pytest.raises(SpecError, match="has no peak for int8"):
        Device(name="x", peak_flops={"fp32": 1e9}, bandwidth=1e9).peak("int8")


def test_measure_writes_a_valid_profile(tmp_path):
    prof = measure(threads=1, n=256, copy_mib=16, repeats=1)
    p = tmp_path / "me.yaml"
    p.write_text(yaml.safe_dump(prof))
    d = device(p)
    assert d.threads == 1 and d.peak_flops["fp32"] > 1e8 and d.bandwidth > 1e8


def test_cli_roofline_json_and_plot(tmp_path):
    png = tmp_path / "r.png"
    res = CliRunner().invoke(app, ["roofline", "efficientnet", "-v", "b0", "--device", "pixel-7", "--format", "json",
                                   "--plot", str(png)], catch_exceptions=False)
    doc = json.loads(res.stdout)
    assert doc["device"]["name"] == "pixel-7" and len(doc["layers"]) == 240
    assert doc["time_s"] == pytest.approx(sum(x["time_s"] for x in doc["layers"]))
    assert png.read_bytes()[:4] == b"\x89PNG"
    res = CliRunner().invoke(app, ["devices"], catch_exceptions=False)
    assert "pixel-7" in res.output and "not re-checked" in res.output
