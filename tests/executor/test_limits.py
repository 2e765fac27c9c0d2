"""validate checks executor MACs and memory against stated limits before allocating anything."""

from __future__ import annotations

import pytest

from archcalc.api import analyze
from archcalc.errors import LimitError
import importlib

v = importlib.import_module("archcalc.validate")

BIG_CONV = """
name: big conv
input: [512, 512, 512]
layers:
  - {op: conv2d, out_channels: 512, kernel_size: 3, padding: 1}
"""
WIDE_LINEAR = """
name: wide linear
input: [4, 1, 1]
layers:
  - {op: flatten}
  - {op: linear, out_features: 2147483648}
"""


def spec(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_a_618_gmac_conv_is_refused_before_running(tmp_path):
    a = analyze(spec(tmp_path, BIG_CONV))
    assert a.totals["macs"] == 512 * 512 * 512 * 9 * 512 == 618475290624
    with pytest.raises(LimitError, match=r"618475290624 MACs \(618\.5G\), over the limit of 100000000000"):
        v.validate(spec(tmp_path, BIG_CONV))


def test_a_2_31_output_linear_is_refused_on_memory(tmp_path):
    # weights 4 x 2**31 fp32 = 32 GiB, output 2**31 fp32 = 8 GiB (+ the 16-byte input)
    with pytest.raises(LimitError, match=r"about 51539607568 bytes \(48 GiB.*layer 'linear'\), over the limit of 4294967296"):
        v.validate(spec(tmp_path, WIDE_LINEAR))


@pytest.mark.parametrize("kw, what", [({"resolution": 100000}, "MACs"), ({"batch": 1000000}, "MACs"),
                                      ({"batch": 2000, "max_macs": None}, "bytes")])
def test_huge_points_are_refused(kw, what):
    with pytest.raises(LimitError, match=f"{what} .*over the limit"):
        v.validate("mobilenet", **kw)


def test_the_estimate_covers_peak_activations_weights_and_im2col(tmp_path):
    a = analyze(spec(tmp_path, BIG_CONV))
    need, at = v.estimated_bytes(a)
    act = 4 * 512 ** 3  # input and output held together
    weights = 4 * (512 * 512 * 9 + 512)  # and the bias
    im2col = 4 * 512 * 9 * 512 * 512
    assert a.totals["peak_activation_bytes"] == 2 * act
    assert (need, at) == (2 * act + weights + im2col, "conv2d")


def test_limits_are_overridable_and_a_small_point_runs():
    with pytest.raises(LimitError, match="over the limit of 1000000"):
        v.validate("mobilenet", resolution=32, max_macs=10**6)
    with pytest.raises(LimitError, match="raise max_bytes$"):
        v.validate("mobilenet", resolution=32, max_bytes=2**20)
    assert v.validate("mobilenet", resolution=32, max_macs=None, max_bytes=None).ok


@pytest.mark.parametrize("text, value", [("100G", 10**11), ("4Gi", 2**32), ("1e12", 10**12), ("2.5k", 2500),
                                         ("123", 123), ("none", None), ("16MiB", 2**24)])
def test_parse_limit(text, value):
    assert v.parse_limit(text, "--max-macs") == value


@pytest.mark.parametrize("text", ["0", "-1", "1x", "", "nan", "1e400", "0.1"])
def test_parse_limit_rejects(text):
    with pytest.raises(LimitError, match="--max-macs"):
        v.parse_limit(text, "--max-macs")


@pytest.mark.parametrize("seed", [-1, 2**63, True, 1.5])
def test_bad_seeds(seed):
    with pytest.raises(Exception, match="seed must be an integer"):
        v.validate("mobilenet", resolution=32, seed=seed)
