"""Tests for archcalc.executor.kernels.

Oracles are plain NumPy (sliding_window_view + einsum / reductions) computed in
float64.  Tolerance: the kernels compute in float32 (unit roundoff ~6e-8); the
largest reduction here has K = kh*kw*C_in/groups <= ~100 terms of O(1) values,
so the accumulated float32 error is bounded by ~K*6e-8*sum|terms| ~ 1e-5 in the
worst case.  We therefore use rtol=1e-4, atol=1e-4 (10x margin), and tighter
tolerances for purely elementwise ops (a few ulp).
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from archcalc.executor import kernels as K

RTOL = 1e-4  # see module docstring
ATOL = 1e-4
EW_RTOL = 1e-5  # elementwise ops: a few float32 ulp
EW_ATOL = 1e-6


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# --------------------------------------------------------------------------
# oracles
# --------------------------------------------------------------------------
def conv_oracle(x, w, b, stride, padding, dilation, groups):
    sh, sw = stride
    pt, pb, pl, pr = padding
    dh, dw = dilation
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    N = xp.shape[0]
    c_out, cin_g, kh, kw = w.shape
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    win = sliding_window_view(xp, (eh, ew), axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    ho, wo = win.shape[2], win.shape[3]
    win = win.reshape(N, groups, cin_g, ho, wo, kh, kw)
    wg = w.astype(np.float64).reshape(groups, c_out // groups, cin_g, kh, kw)
    y = np.einsum("ngchwij,gocij->ngohw", win, wg).reshape(N, c_out, ho, wo)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y


def mac_formula(N, c_out, ho, wo, kh, kw, c_in, groups):
    return N * c_out * ho * wo * kh * kw * c_in // groups


def pool_windows(x, kernel, stride, padding, dilation, fill, extra=(0, 0)):
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = kernel, stride, padding, dilation
    xp = np.pad(
        x.astype(np.float64),
        ((0, 0), (0, 0), (pt, pb + extra[0]), (pl, pr + extra[1])),
        constant_values=fill,
    )
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    return sliding_window_view(xp, (eh, ew), axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]


# --------------------------------------------------------------------------
# conv2d: values
# --------------------------------------------------------------------------
CONV_CASES = [
    # name, x shape, C_out, (kh, kw), stride, padding (t,b,l,r), dilation, groups
    ("3x3 pad1", (2, 3, 7, 7), 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    ("1x1 matmul path", (2, 8, 5, 6), 6, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    ("1x1 grouped", (1, 8, 4, 4), 4, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 2),
    ("1x1 stride2", (1, 6, 7, 7), 5, (1, 1), (2, 2), (0, 0, 0, 0), (1, 1), 1),
    ("stride2 tf-same", (1, 3, 8, 8), 5, (3, 3), (2, 2), (0, 1, 0, 1), (1, 1), 1),
    ("7x7 s2 p3", (1, 3, 16, 16), 4, (7, 7), (2, 2), (3, 3, 3, 3), (1, 1), 1),
    ("rect 1x5 asym", (2, 3, 4, 6), 4, (1, 5), (1, 1), (0, 0, 2, 2), (1, 1), 1),
    ("rect 3x2", (1, 4, 6, 5), 3, (3, 2), (1, 2), (1, 0, 0, 1), (1, 1), 1),
    ("dilated", (1, 2, 9, 9), 3, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 1),
    ("grouped", (2, 6, 6, 6), 9, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 3),
    ("depthwise", (2, 5, 8, 8), 5, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 5),
    ("depthwise s2 asym", (1, 4, 9, 9), 4, (3, 3), (2, 2), (0, 1, 1, 0), (1, 1), 4),
    ("depthwise mult2", (1, 3, 6, 6), 6, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 3),
    ("depthwise 5x5 dil", (1, 4, 10, 10), 4, (5, 5), (1, 1), (4, 4, 4, 4), (2, 2), 4),
    ("depthwise rect s(2,1)", (1, 3, 7, 8), 3, (2, 3), (2, 1), (0, 0, 1, 1), (1, 1), 3),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[c[0] for c in CONV_CASES])
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv2d_matches_oracle_and_formula(case, with_bias):
    _, xs, c_out, (kh, kw), stride, padding, dilation, groups = case
    rng = np.random.default_rng(zlib.crc32(case[0].encode()))
    x = rand(rng, *xs)
    w = rand(rng, c_out, xs[1] // groups, kh, kw)
    b = rand(rng, c_out) if with_bias else None
    x0, w0 = x.copy(), w.copy()
    y, macs = K.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    ref = conv_oracle(x, w, b, stride, padding, dilation, groups)
    assert y.dtype == np.float32 and y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    assert type(macs) is int
    N, _, ho, wo = ref.shape
    assert macs == mac_formula(N, c_out, ho, wo, kh, kw, xs[1], groups)
    # inputs untouched, output not aliasing them
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    assert not np.shares_memory(y, x) and not np.shares_memory(y, w)


GEMM_CHUNK_CASES = [
    # x shape, C_out, (kh, kw), stride, padding (t,b,l,r), dilation, groups: the im2col and
    # plain 1x1 paths of conv2d, as sgemm over chunks of samples
    ((5, 3, 9, 8), 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    ((5, 6, 7, 7), 6, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    ((5, 6, 7, 7), 4, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 2),
    ((5, 6, 9, 9), 5, (1, 1), (2, 2), (0, 0, 0, 0), (1, 1), 1),
    ((5, 6, 9, 7), 9, (3, 2), (2, 1), (0, 1, 2, 0), (2, 1), 3),
]


@pytest.mark.parametrize("columns", [1, 100, 150, 10**6],
                         ids=["one-sample", "2-2-1", "3-2", "one-chunk"])
@pytest.mark.parametrize("case", GEMM_CHUNK_CASES + [((2, 3, 9, 13), 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1)])
def test_conv2d_gemm_chunks_match_oracle(case, columns, monkeypatch):
    """Every chunking of the batch (one sample per product, chunks with a short last one, the
    whole batch in one product) gives the oracle's values and the formula's MACs (2 kernel
    threads: test_conv2d_two_threads_match_oracle)."""
    monkeypatch.setattr(K, "_GEMM_COLUMNS", columns)
    monkeypatch.setattr(K, "_TAPS_MIN_WIDTH", 10**6)
    _check_conv(case)


def _check_conv(case):
    xs, c_out, (kh, kw), stride, padding, dilation, groups = case
    rng = np.random.default_rng(xs[1] * 31 + c_out)
    x = rand(rng, *xs)
    w = rand(rng, c_out, xs[1] // groups, kh, kw)
    b = rand(rng, c_out)
    y, macs = K.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    ref = conv_oracle(x, w, b, stride, padding, dilation, groups)
    assert y.shape == ref.shape and y.flags.c_contiguous
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    N, _, ho, wo = ref.shape
    assert macs == mac_formula(N, c_out, ho, wo, kh, kw, xs[1], groups)
    # each sample alone gives the same result as in the batch (no sample's columns leak)
    y1, _ = K.conv2d(x[3:4], w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(y[3:4], y1, rtol=1e-5, atol=1e-5)


TAPS_CASES = [
    # x shape, C_out, (kh, kw), padding (t,b,l,r), dilation: stride-1 ungrouped convs summed
    # tap by tap over the padded input (kernels._conv_taps)
    ((2, 3, 7, 7), 4, (3, 3), (1, 1, 1, 1), (1, 1)),
    ((3, 5, 6, 9), 6, (3, 3), (0, 0, 0, 0), (1, 1)),
    ((1, 4, 9, 8), 3, (2, 5), (0, 1, 2, 1), (1, 1)),
    ((2, 2, 11, 10), 5, (3, 3), (2, 2, 2, 2), (2, 2)),
    ((1, 3, 8, 12), 4, (3, 2), (1, 0, 0, 1), (2, 3)),
    ((2, 3, 16, 16), 4, (7, 7), (3, 3, 3, 3), (1, 1)),
    ((2, 8, 20, 20), 8, (3, 3), (1, 1, 1, 1), (1, 1)),  # wide enough for the default threshold
]


@pytest.mark.parametrize("min_width", [1, None], ids=["forced", "default"])
@pytest.mark.parametrize("case", TAPS_CASES)
def test_conv2d_taps_match_oracle(case, min_width, monkeypatch):
    """The per-tap sgemm path gives the oracle's values and counts only the kept positions."""
    xs, c_out, (kh, kw), padding, dilation = case
    if min_width is not None:
        monkeypatch.setattr(K, "_TAPS_MIN_WIDTH", min_width)
    calls = []
    real = K._conv_taps
    monkeypatch.setattr(K, "_conv_taps", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(xs[2] * 7 + kw)
    x = rand(rng, *xs)
    w = rand(rng, c_out, xs[1], kh, kw)
    b = rand(rng, c_out)
    x0 = x.copy()
    y, macs = K.conv2d(x, w, b, stride=1, padding=padding, dilation=dilation)
    ref = conv_oracle(x, w, b, (1, 1), padding, dilation, 1)
    assert calls == ([1] if min_width == 1 or ref.shape[3] >= K._TAPS_MIN_WIDTH else [])
    assert y.shape == ref.shape and y.flags.c_contiguous
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    N, _, ho, wo = ref.shape
    assert macs == mac_formula(N, c_out, ho, wo, kh, kw, xs[1], 1)
    np.testing.assert_array_equal(x, x0)


def test_matmul_into_out():
    rng = np.random.default_rng(3)
    a, b = rand(rng, 2, 3, 4), rand(rng, 2, 4, 5)
    out = np.full((2, 3, 5), np.nan, np.float32)
    y, macs = K._matmul(a, b, out=out)
    assert y is out and macs == 2 * 3 * 4 * 5
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="out has shape"):
        K._matmul(a, b, out=np.empty((2, 5, 3), np.float32))


DEPTHWISE_PATH_CASES = [
    # x shape, (kh, kw), stride, padding (t,b,l,r), dilation: planes wider than a row block
    # (2048 lanes), strides 2 and 3, odd sizes, asymmetric padding, dilation
    ((2, 3, 70, 70), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
    ((1, 4, 57, 61), (3, 3), (2, 2), (0, 1, 1, 0), (1, 1)),
    ((1, 2, 23, 29), (5, 3), (3, 2), (2, 2, 1, 1), (1, 2)),
    ((2, 5, 15, 15), (3, 3), (1, 2), (2, 2, 2, 2), (2, 2)),
    ((1, 3, 9, 9), (1, 1), (2, 2), (0, 0, 0, 0), (1, 1)),
    # the 3x3 register-blocked loops: odd output width (the channels-last pair loop's last
    # single), odd input width at stride 2 with an even left pad (the deinterleave's last
    # column), stride 3 columns (the general phase scatter), a channel multiplier of 1 at 112
    ((1, 2, 17, 19), (3, 3), (2, 2), (0, 0, 0, 0), (1, 1)),
    ((1, 3, 20, 25), (3, 3), (2, 3), (1, 0, 2, 1), (1, 1)),
    ((1, 2, 112, 112), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
]


@pytest.mark.parametrize("small", [0, 10**6], ids=["phase-planes", "channels-last"])
@pytest.mark.parametrize("case", DEPTHWISE_PATH_CASES, ids=[str(c[0]) for c in DEPTHWISE_PATH_CASES])
def test_depthwise_kernels_match_oracle_and_formula(case, small, monkeypatch):
    """Both depthwise kernels (the output-width threshold forced either way) give the oracle's
    values and count one MAC per output element and tap."""
    xs, (kh, kw), stride, padding, dilation = case
    monkeypatch.setattr(K, "_DW_SMALL", small)
    rng = np.random.default_rng(xs[2] * 100 + xs[3])
    x, w = rand(rng, *xs), rand(rng, xs[1], 1, kh, kw)
    y, macs = K.conv2d(x, w, None, stride=stride, padding=padding, dilation=dilation, groups=xs[1])
    ref = conv_oracle(x, w, None, stride, padding, dilation, xs[1])
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    n, c, ho, wo = ref.shape
    assert macs == n * c * ho * wo * kh * kw


# --------------------------------------------------------------------------
# conv2d: hand-checked MAC counts (numbers written out by hand)
# --------------------------------------------------------------------------
def _macs(xs, ws, **kw):
    rng = np.random.default_rng(0)
    return K.conv2d(rand(rng, *xs), rand(rng, *ws), None, **kw)


def test_macs_3x3_pad1_hand():
    # 1x3x5x5 input, 2 output channels, 3x3, padding 1 -> 5x5 output
    # 2 out-ch * 25 positions * 9 taps * 3 in-ch = 1350
    y, macs = _macs((1, 3, 5, 5), (2, 3, 3, 3), padding=(1, 1, 1, 1))
    assert y.shape == (1, 2, 5, 5)
    assert macs == 1350


def test_macs_padded_taps_are_counted_hand():
    # 1x1x2x2 input, 3x3 kernel, padding 1 -> 2x2 output; each output has 9
    # taps of which only 4 are real, but all 9 count: 1 * 4 * 9 * 1 = 36
    y, macs = _macs((1, 1, 2, 2), (1, 1, 3, 3), padding=(1, 1, 1, 1))
    assert y.shape == (1, 1, 2, 2)
    assert macs == 36


def test_macs_depthwise_stride2_tf_same_hand():
    # 1x4x6x6 depthwise 3x3, stride 2, padding (0,1,0,1):
    # Ho = (6 + 0 + 1 - 3)//2 + 1 = 3 -> 4 ch * 9 positions * 9 taps * 1 = 324
    y, macs = _macs((1, 4, 6, 6), (4, 1, 3, 3), stride=(2, 2), padding=(0, 1, 0, 1), groups=4)
    assert y.shape == (1, 4, 3, 3)
    assert macs == 324


def test_macs_depthwise_multiplier_hand():
    # 1x3x5x5, groups 3, C_out 6 (multiplier 2), 3x3 pad 1 -> 5x5
    # 6 * 25 * 9 * (3/3) = 1350
    y, macs = _macs((1, 3, 5, 5), (6, 1, 3, 3), padding=(1, 1, 1, 1), groups=3)
    assert y.shape == (1, 6, 5, 5)
    assert macs == 1350


def test_macs_grouped_hand():
    # 1x4x5x5, groups 2, C_out 6, 3x3 no pad -> 3x3
    # 6 * 9 * 9 * (4/2) = 972
    y, macs = _macs((1, 4, 5, 5), (6, 2, 3, 3), groups=2)
    assert y.shape == (1, 6, 3, 3)
    assert macs == 972


def test_macs_dilated_hand():
    # 1x2x7x7, 3x3 dilation 2, no pad: Ho = 7 - 2*2 - 1 + 1 = 3; C_out 3
    # 3 * 9 * 9 * 2 = 486
    y, macs = _macs((1, 2, 7, 7), (3, 2, 3, 3), dilation=(2, 2))
    assert y.shape == (1, 3, 3, 3)
    assert macs == 486


def test_macs_rect_asym_batch2_hand():
    # 2x3x4x6, 1x5 kernel, padding (0,0,2,2): Ho = 4, Wo = 6 + 4 - 5 + 1 = 6; C_out 4
    # 2 * 4 * 24 * 5 * 3 = 2880
    y, macs = _macs((2, 3, 4, 6), (4, 3, 1, 5), padding=(0, 0, 2, 2))
    assert y.shape == (2, 4, 4, 6)
    assert macs == 2880


def test_macs_1x1_matmul_hand():
    # 2x8x4x4 -> 16 channels 1x1: 2 * 16 * 16 * 8 = 4096
    y, macs = _macs((2, 8, 4, 4), (16, 8, 1, 1))
    assert y.shape == (2, 16, 4, 4)
    assert macs == 4096


def test_macs_stride2_7x7_hand():
    # 1x3x16x16, 7x7 stride 2 pad 3: Ho = (16 + 6 - 7)//2 + 1 = 8; C_out 4
    # 4 * 64 * 49 * 3 = 37632
    y, macs = _macs((1, 3, 16, 16), (4, 3, 7, 7), stride=(2, 2), padding=(3, 3, 3, 3))
    assert y.shape == (1, 4, 8, 8)
    assert macs == 37632


def test_conv2d_bias_is_not_mac():
    rng = np.random.default_rng(1)
    x, w = rand(rng, 1, 3, 5, 5), rand(rng, 2, 3, 3, 3)
    _, m0 = K.conv2d(x, w, None, padding=(1, 1, 1, 1))
    _, m1 = K.conv2d(x, w, rand(rng, 2), padding=(1, 1, 1, 1))
    assert m0 == m1 == 1350


def test_conv2d_rejects_bad_groups():
    rng = np.random.default_rng(2)
    with pytest.raises(ValueError):
        K.conv2d(rand(rng, 1, 4, 5, 5), rand(rng, 3, 2, 3, 3), None, groups=2)


# --------------------------------------------------------------------------
# conv2d: hypothesis property test
# --------------------------------------------------------------------------
@st.composite
def conv_configs(draw):
    kind = draw(st.sampled_from(["regular", "grouped", "depthwise"]))
    if kind == "regular":
        groups = 1
        cin_g = draw(st.integers(1, 4))
        cout_g = draw(st.integers(1, 4))
    elif kind == "grouped":
        groups = draw(st.integers(2, 3))
        cin_g = draw(st.integers(2, 3))
        cout_g = draw(st.integers(1, 3))
    else:
        groups = draw(st.integers(2, 5))
        cin_g = 1
        cout_g = draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    pad = tuple(draw(st.integers(0, 2)) for _ in range(4))
    # input big enough that the dilated window fits in the padded input
    min_h = max(1, dh * (kh - 1) + 1 - pad[0] - pad[1])
    min_w = max(1, dw * (kw - 1) + 1 - pad[2] - pad[3])
    H = draw(st.integers(min_h, min_h + 6))
    W = draw(st.integers(min_w, min_w + 6))
    N = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**31 - 1))
    bias = draw(st.booleans())
    return N, groups, cin_g, cout_g, (kh, kw), (sh, sw), (dh, dw), pad, H, W, seed, bias


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_configs())
def test_conv2d_property(cfg):
    N, groups, cin_g, cout_g, (kh, kw), stride, dilation, pad, H, W, seed, bias = cfg
    rng = np.random.default_rng(seed)
    C, c_out = cin_g * groups, cout_g * groups
    x = rand(rng, N, C, H, W)
    w = rand(rng, c_out, cin_g, kh, kw)
    b = rand(rng, c_out) if bias else None
    y, macs = K.conv2d(x, w, b, stride=stride, padding=pad, dilation=dilation, groups=groups)
    ref = conv_oracle(x, w, b, stride, pad, dilation, groups)
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    ho = (H + pad[0] + pad[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (W + pad[2] + pad[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    assert y.shape == (N, c_out, ho, wo)
    assert macs == mac_formula(N, c_out, ho, wo, kh, kw, C, groups)


# --------------------------------------------------------------------------
# linear
# --------------------------------------------------------------------------
def test_linear_2d_hand():
    rng = np.random.default_rng(3)
    x, w, b = rand(rng, 3, 10), rand(rng, 7, 10), rand(rng, 7)
    y, macs = K.linear(x, w, b)
    np.testing.assert_allclose(
        y, x.astype(np.float64) @ w.T.astype(np.float64) + b, rtol=RTOL, atol=ATOL
    )
    assert macs == 210  # 3 rows * 7 outputs * 10 inputs
    _, macs_nb = K.linear(x, w, None)
    assert macs_nb == 210


def test_linear_4d_channels():
    rng = np.random.default_rng(4)
    x, w, b = rand(rng, 2, 8, 3, 3), rand(rng, 5, 8), rand(rng, 5)
    y, macs = K.linear(x, w, b)
    ref = np.einsum("nchw,oc->nohw", x.astype(np.float64), w.astype(np.float64)) + b.reshape(
        1, 5, 1, 1
    )
    assert y.shape == (2, 5, 3, 3)
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    assert macs == 720  # 2 batch * 5 out * 9 positions * 8 in
    # equals a 1x1 conv
    yc, mc = K.conv2d(x, w.reshape(5, 8, 1, 1), b)
    np.testing.assert_allclose(y, yc, rtol=1e-5, atol=1e-5)
    assert mc == macs


# --------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 5, 4, 3), (3, 6)])
def test_batchnorm(shape):
    rng = np.random.default_rng(5)
    x = rand(rng, *shape)
    C = shape[1]
    g, be, mu = rand(rng, C), rand(rng, C), rand(rng, C)
    var = (rng.random(C) + 0.1).astype(np.float32)
    y, macs = K.batchnorm(x, g, be, mu, var, eps=1e-3)
    cs = (1, C) + (1,) * (len(shape) - 2)
    ref = (x.astype(np.float64) - mu.reshape(cs)) / np.sqrt(
        var.reshape(cs).astype(np.float64) + 1e-3
    ) * g.reshape(cs) + be.reshape(cs)
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    assert y.dtype == np.float32 and macs == 0


@pytest.mark.parametrize("shape", [(2, 6, 3, 4), (4, 7)])
def test_layernorm_channels(shape):
    rng = np.random.default_rng(6)
    x = rand(rng, *shape) * 3 + 1
    C = shape[1]
    g, be = rand(rng, C), rand(rng, C)
    y, macs = K.layernorm_channels(x, g, be, eps=1e-6)
    xd = x.astype(np.float64)
    mu = xd.mean(axis=1, keepdims=True)
    var = xd.var(axis=1, keepdims=True)
    cs = (1, C) + (1,) * (len(shape) - 2)
    ref = (xd - mu) / np.sqrt(var + 1e-6) * g.reshape(cs) + be.reshape(cs)
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    assert macs == 0


def test_groupnorm():
    rng = np.random.default_rng(7)
    x = rand(rng, 2, 6, 4, 5) * 2 - 1
    g, be = rand(rng, 6), rand(rng, 6)
    y, macs = K.groupnorm(x, 3, g, be, eps=1e-5)
    xd = x.astype(np.float64).reshape(2, 3, -1)
    ref = ((xd - xd.mean(2, keepdims=True)) / np.sqrt(xd.var(2, keepdims=True) + 1e-5)).reshape(
        x.shape
    )
    ref = ref * g.reshape(1, 6, 1, 1) + be.reshape(1, 6, 1, 1)
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    assert macs == 0


# --------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------
def test_erf_matches_math_erf():
    xs = np.concatenate([np.linspace(-6, 6, 2001), [0.0, -0.0, 1e-8, -1e-8, 30.0, -30.0]])
    ref = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(K.erf(xs), ref, rtol=1e-15, atol=1e-15)  # float64: same libm erf
    y32 = K.erf(xs.astype(np.float32))
    assert y32.dtype == np.float32
    ref32 = np.array([math.erf(float(v)) for v in xs.astype(np.float32)])
    np.testing.assert_allclose(y32, ref32, rtol=EW_RTOL, atol=EW_ATOL)
    assert K.erf(np.zeros((2, 3))).shape == (2, 3)


def test_fast_erf_used_by_gelu_matches_math_erf():
    # rational approximation: max abs error ~6.5e-8 (below float32 resolution at 1)
    xs = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1e-8, -1e-8, 4.0, -4.0, 50.0, -50.0]])
    ref = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(K._erf_fast(xs), ref, rtol=0, atol=1e-7)
    small = np.array([1e-8, -1e-6, 1e-4])  # odd polynomial: relative accuracy near 0
    np.testing.assert_allclose(K._erf_fast(small), [math.erf(v) for v in small], rtol=1e-6)


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


ACTS = {
    "relu": lambda v: np.maximum(v, 0),
    "relu6": lambda v: np.clip(v, 0, 6),
    "gelu": lambda v: 0.5 * v * (1 + np.vectorize(math.erf)(v / math.sqrt(2))),
    "gelu_tanh": lambda v: 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))),
    "silu": lambda v: v * _sig(v),
    "sigmoid": _sig,
    "hardswish": lambda v: v * np.clip(v + 3, 0, 6) / 6,
    "hardsigmoid": lambda v: np.clip(v + 3, 0, 6) / 6,
    "tanh": np.tanh,
}


@pytest.mark.parametrize("name", sorted(ACTS))
def test_activations(name):
    rng = np.random.default_rng(8)
    x = (rand(rng, 2, 3, 4, 5) * 4).astype(np.float32)
    x.flat[:6] = [-3.0, 3.0, 0.0, 6.0, -6.0, 1e-3]  # kinks of the piecewise ops
    x0 = x.copy()
    y, macs = getattr(K, name)(x)
    with np.errstate(over="ignore"):
        ref = ACTS[name](x.astype(np.float64))
    assert y.shape == x.shape and y.dtype == np.float32 and macs == 0
    np.testing.assert_allclose(y, ref, rtol=EW_RTOL, atol=EW_ATOL)
    np.testing.assert_array_equal(x, x0)
    assert not np.shares_memory(x, y)


def test_sigmoid_silu_extremes_no_overflow():
    x = np.array([[-1000.0, -90.0, 0.0, 90.0, 1000.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        s, _ = K.sigmoid(x)
        si, _ = K.silu(x)
    np.testing.assert_allclose(s, [[0, 0, 0.5, 1, 1]], atol=1e-30)
    np.testing.assert_allclose(si, [[0, 0, 0, 90, 1000]], atol=1e-30)


@pytest.mark.parametrize("shape", [(3, 10), (2, 4, 3, 3)])
def test_softmax(shape):
    rng = np.random.default_rng(9)
    x = rand(rng, *shape) * 10
    y, macs = K.softmax(x)
    xd = x.astype(np.float64)
    e = np.exp(xd - xd.max(axis=1, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=EW_RTOL, atol=EW_ATOL)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    assert macs == 0


# --------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------
MAXPOOL_CASES = [
    # kernel, stride, padding, dilation, ceil_mode, H, W
    ((3, 3), (2, 2), (1, 1, 1, 1), (1, 1), False, 8, 8),  # ResNet stem
    ((2, 2), (2, 2), (0, 0, 0, 0), (1, 1), False, 7, 7),
    ((3, 3), (2, 2), (0, 0, 0, 0), (1, 1), True, 8, 8),  # ceil: extra window
    ((3, 3), (2, 2), (1, 1, 1, 1), (1, 1), True, 9, 10),
    ((2, 3), (1, 2), (0, 1, 1, 0), (1, 1), False, 6, 7),  # asymmetric / TF same
    ((3, 3), (1, 1), (2, 2, 2, 2), (2, 2), False, 6, 6),  # dilated
    ((3, 3), (3, 3), (0, 0, 0, 0), (1, 1), True, 10, 11),
]


def _ceil_extra(H, k, s, p0, p1, d, ho):
    return max(0, (ho - 1) * s + d * (k - 1) + 1 - (H + p0 + p1))


@pytest.mark.parametrize("case", MAXPOOL_CASES)
def test_maxpool2d(case):
    kernel, stride, padding, dilation, ceil_mode, H, W = case
    rng = np.random.default_rng(10)
    x = rand(rng, 2, 3, H, W) - 5.0  # all negative: a zero pad would be caught
    y, macs = K.maxpool2d(x, kernel, stride, padding, dilation, ceil_mode)
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = kernel, stride, padding, dilation
    if ceil_mode:
        ho = math.ceil((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1
        wo = math.ceil((W + pl + pr - dw * (kw - 1) - 1) / sw) + 1
        ho -= (ho - 1) * sh >= H + pt
        wo -= (wo - 1) * sw >= W + pl
        extra = (_ceil_extra(H, kh, sh, pt, pb, dh, ho), _ceil_extra(W, kw, sw, pl, pr, dw, wo))
    else:
        extra = (0, 0)
    win = pool_windows(x, kernel, stride, padding, dilation, -np.inf, extra)
    ref = win.max(axis=(-2, -1))
    if ceil_mode:
        ref = ref[:, :, :ho, :wo]
    assert y.shape == ref.shape and macs == 0
    np.testing.assert_array_equal(y, ref.astype(np.float32))
    assert np.isfinite(y).all()


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize(
    "kernel,stride,padding,H,W",
    [
        ((2, 2), (2, 2), (0, 0, 0, 0), 6, 6),
        ((3, 3), (1, 1), (1, 1, 1, 1), 5, 6),
        ((3, 3), (2, 2), (1, 1, 1, 1), 7, 7),
        ((3, 2), (2, 1), (0, 1, 1, 0), 6, 5),
    ],
)
def test_avgpool2d(kernel, stride, padding, H, W, count_include_pad):
    rng = np.random.default_rng(11)
    x = rand(rng, 2, 3, H, W)
    y, macs = K.avgpool2d(x, kernel, stride, padding, count_include_pad)
    win = pool_windows(x, kernel, stride, padding, (1, 1), 0.0)
    s = win.sum(axis=(-2, -1))
    if count_include_pad:
        ref = s / (kernel[0] * kernel[1])
    else:
        ones = np.ones((1, 1, H, W))
        ref = s / pool_windows(ones, kernel, stride, padding, (1, 1), 0.0).sum(axis=(-2, -1))
    assert y.shape == ref.shape and macs == 0
    np.testing.assert_allclose(y, ref, rtol=EW_RTOL, atol=EW_ATOL)


def test_global_avgpool():
    rng = np.random.default_rng(12)
    x = rand(rng, 2, 4, 5, 6)
    y, macs = K.global_avgpool(x)
    assert y.shape == (2, 4, 1, 1) and y.dtype == np.float32 and macs == 0
    np.testing.assert_allclose(
        y, x.astype(np.float64).mean(axis=(2, 3), keepdims=True), rtol=EW_RTOL, atol=EW_ATOL
    )


# --------------------------------------------------------------------------
# elementwise / structural
# --------------------------------------------------------------------------
def test_add_concat_mul_flatten_layer_scale():
    rng = np.random.default_rng(13)
    a, b, c = rand(rng, 2, 3, 4, 4), rand(rng, 2, 3, 4, 4), rand(rng, 2, 3, 4, 4)
    snap = [v.copy() for v in (a, b, c)]

    y, m = K.add(a, b)
    np.testing.assert_array_equal(y, a + b)
    y3, m3 = K.add(a, b, c)
    np.testing.assert_allclose(y3, a + b + c, rtol=EW_RTOL, atol=EW_ATOL)
    assert m == m3 == 0 and not np.shares_memory(y, a)

    cat, m = K.concat([a, rand(rng, 2, 5, 4, 4)])
    assert cat.shape == (2, 8, 4, 4) and m == 0
    np.testing.assert_array_equal(cat[:, :3], a)

    gate = rand(rng, 2, 3, 1, 1)
    g1, m1 = K.mul(a, gate)
    g2, m2 = K.mul(gate, a)
    np.testing.assert_array_equal(g1, a * gate)
    np.testing.assert_array_equal(g2, g1)
    assert m1 == m2 == 0

    f, m = K.flatten(a)
    assert f.shape == (2, 48) and m == 0 and f.flags.owndata and not np.shares_memory(f, a)
    np.testing.assert_array_equal(f, a.reshape(2, -1))

    gamma = rand(rng, 3)
    ls, m = K.layer_scale(a, gamma)
    np.testing.assert_array_equal(ls, a * gamma.reshape(1, 3, 1, 1))
    assert m == 0

    for v, s0 in zip((a, b, c), snap):
        np.testing.assert_array_equal(v, s0)


def test_every_kernel_returns_new_array():
    rng = np.random.default_rng(14)
    x = rand(rng, 1, 4, 6, 6)
    C = 4
    ones, zeros = np.ones(C, np.float32), np.zeros(C, np.float32)
    outs = [
        K.conv2d(x, rand(rng, 4, 4, 1, 1), None)[0],
        K.conv2d(x, rand(rng, 4, 1, 3, 3), None, padding=(1, 1, 1, 1), groups=4)[0],
        K.linear(x, rand(rng, 4, 4), None)[0],
        K.batchnorm(x, ones, zeros, zeros, ones)[0],
        K.layernorm_channels(x, ones, zeros)[0],
        K.groupnorm(x, 2, ones, zeros)[0],
        K.maxpool2d(x, (1, 1), (1, 1))[0],
        K.avgpool2d(x, (1, 1), (1, 1))[0],
        K.global_avgpool(x)[0],
        K.add(x)[0],
        K.concat([x])[0],
        K.flatten(x)[0],
        K.layer_scale(x, ones)[0],
        K.mul(x, np.ones((1, 4, 1, 1), np.float32))[0],
    ] + [getattr(K, n)(x)[0] for n in list(ACTS) + ["softmax"]]
    for y in outs:
        assert y.dtype == np.float32
        assert not np.shares_memory(y, x)


# --------------------------------------------------------------------------
# optional cross-check against PyTorch
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


TORCH_CONV = [
    # x shape, C_out, k, stride, pad (t,b,l,r), dilation, groups
    ((2, 4, 9, 9), 6, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    ((1, 6, 10, 10), 6, (3, 3), (2, 2), (0, 1, 0, 1), (1, 1), 6),
    ((1, 4, 10, 9), 8, (5, 3), (1, 2), (2, 2, 1, 1), (2, 1), 2),
    ((1, 4, 8, 8), 8, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 4),
    ((2, 8, 6, 6), 12, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 4),
    ((1, 3, 17, 17), 5, (7, 7), (2, 2), (3, 3, 3, 3), (1, 1), 1),
]


@pytest.mark.parametrize("case", TORCH_CONV)
def test_torch_conv2d(torch, case):
    F = torch.nn.functional
    xs, c_out, k, stride, pad, dil, groups = case
    rng = np.random.default_rng(20)
    x, w, b = rand(rng, *xs), rand(rng, c_out, xs[1] // groups, *k), rand(rng, c_out)
    y, _ = K.conv2d(x, w, b, stride, pad, dil, groups)
    xt = F.pad(torch.from_numpy(x), (pad[2], pad[3], pad[0], pad[1]))
    ref = F.conv2d(xt, torch.from_numpy(w), torch.from_numpy(b), stride, 0, dil, groups).numpy()
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)


def test_torch_norms_and_acts(torch):
    F = torch.nn.functional
    rng = np.random.default_rng(21)
    x = rand(rng, 2, 6, 5, 4) * 2
    xt = torch.from_numpy(x)
    C = 6
    g, be, mu = rand(rng, C), rand(rng, C), rand(rng, C)
    var = (rng.random(C) + 0.2).astype(np.float32)
    T = torch.from_numpy
    ref = F.batch_norm(xt, T(mu), T(var), T(g), T(be), training=False, eps=1e-5).numpy()
    np.testing.assert_allclose(K.batchnorm(x, g, be, mu, var, 1e-5)[0], ref, rtol=RTOL, atol=ATOL)
    ref = (
        F.layer_norm(xt.permute(0, 2, 3, 1), (C,), T(g), T(be), eps=1e-6)
        .permute(0, 3, 1, 2)
        .numpy()
    )
    np.testing.assert_allclose(K.layernorm_channels(x, g, be, 1e-6)[0], ref, rtol=RTOL, atol=ATOL)
    ref = F.group_norm(xt, 3, T(g), T(be), eps=1e-5).numpy()
    np.testing.assert_allclose(K.groupnorm(x, 3, g, be, 1e-5)[0], ref, rtol=RTOL, atol=ATOL)
    for ours, theirs in [
        (K.gelu, lambda t: F.gelu(t)),
        (K.gelu_tanh, lambda t: F.gelu(t, approximate="tanh")),
        (K.hardswish, F.hardswish),
        (K.hardsigmoid, F.hardsigmoid),
        (K.silu, F.silu),
        (K.sigmoid, torch.sigmoid),
        (K.relu6, F.relu6),
        (K.tanh, torch.tanh),
        (lambda a: K.softmax(a), lambda t: torch.softmax(t, dim=1)),
    ]:
        np.testing.assert_allclose(ours(x)[0], theirs(xt).numpy(), rtol=EW_RTOL, atol=1e-5)


@pytest.mark.parametrize(
    "k,s,p,d,ceil",
    [
        (3, 2, 1, 1, False),
        (3, 2, 1, 1, True),
        (2, 2, 0, 1, True),
        (3, 1, 1, 2, False),
        (3, 3, 0, 1, True),
    ],
)
def test_torch_maxpool(torch, k, s, p, d, ceil):
    rng = np.random.default_rng(22)
    x = rand(rng, 2, 3, 11, 10)
    y, _ = K.maxpool2d(x, (k, k), (s, s), (p, p, p, p), (d, d), ceil)
    ref = torch.nn.functional.max_pool2d(torch.from_numpy(x), k, s, p, d, ceil_mode=ceil).numpy()
    assert y.shape == ref.shape
    np.testing.assert_array_equal(y, ref)


@pytest.mark.parametrize(
    "k,s,p,cip", [(3, 2, 1, True), (3, 2, 1, False), (2, 2, 0, True), (3, 1, 1, False)]
)
def test_torch_avgpool(torch, k, s, p, cip):
    rng = np.random.default_rng(23)
    x = rand(rng, 2, 3, 9, 8)
    y, _ = K.avgpool2d(x, (k, k), (s, s), (p, p, p, p), cip)
    ref = torch.nn.functional.avg_pool2d(
        torch.from_numpy(x), k, s, p, count_include_pad=cip
    ).numpy()
    np.testing.assert_allclose(y, ref, rtol=EW_RTOL, atol=EW_ATOL)


def test_gelu_kernels_meet_the_proved_tanh_error_bound():
    """The float32 gelu / gelu_tanh kernels differ by the maximum the GELU proof derives
    (homework 'gelu': 4.73e-4 at x = +-2.19), to float32 resolution."""
    from archcalc.proofs.homework import gelu_max_error

    xm, err = gelu_max_error()
    grid = np.linspace(-8, 8, 160001, dtype=np.float32)
    ex = np.asarray(K.gelu(grid)[0], dtype=np.float64)
    ap = np.asarray(K.gelu_tanh(grid)[0], dtype=np.float64)
    diff = np.abs(ex - ap)
    assert abs(float(diff.max()) - err) < 2e-6
    assert abs(abs(float(grid[int(diff.argmax())])) - abs(xm)) < 0.05


# --------------------------------------------------------------------------
# 2 kernel threads: every split path forced (threads.MIN_WORK = 1), each piece recorded
# --------------------------------------------------------------------------
@pytest.fixture
def split2(monkeypatch):
    """Run the block at 2 kernel threads with every job split; yields the list of jobs
    ``(total, pieces)`` that kernels.parallel_ranges ran (pieces sorted, as actually called)."""
    from archcalc.executor import threads as T

    monkeypatch.setattr(T, "MIN_WORK", 1)
    monkeypatch.setattr(T, "_judge", lambda *a: None)  # no back-off (a busy machine) during the test
    T.reset_backoff()
    jobs = []
    real = T.parallel_ranges

    def recording(total, work, fn):
        pieces = []

        def piece(lo, hi):
            pieces.append((lo, hi))
            fn(lo, hi)

        real(total, work, piece)
        jobs.append((total, sorted(pieces)))

    monkeypatch.setattr(K, "parallel_ranges", recording)
    with T.kernel_threads(2):
        yield jobs


def _split_jobs(jobs, total):
    """The recorded jobs over ``total`` items, each checked to cover ``range(total)`` exactly once
    in more than one piece."""
    found = [p for t, p in jobs if t == total]
    for pieces in found:
        assert len(pieces) > 1 and pieces[0][0] == 0 and pieces[-1][1] == total
        assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:])), pieces
    return found


def _poison(*shapes):
    """Fill and free heap blocks of these shapes with NaN, so an output element no piece wrote
    (np.empty reusing the block) shows as NaN instead of a stale correct value."""
    for shape in shapes:
        np.full(shape, np.nan, np.float32)


TWO_THREAD_CONVS = [
    # id, x shape, C_out, (kh, kw), stride, padding (t,b,l,r), dilation, groups, _GEMM_COLUMNS,
    # the job expected: "batch" (the samples split, each piece on the 1-thread path),
    # "channels" / "rows" (the tap sums split by output channel / output row), "matmul" (chunked
    # sgemm split in blocks), "im2col" (a sample's im2col by input channel, then the sgemm)
    ("taps batch", (5, 6, 13, 14), 7, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, None, "batch"),
    ("taps batch dilated", (3, 4, 15, 16), 5, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 1, None, "batch"),
    ("taps channels", (1, 6, 12, 12), 200, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, None, "channels"),
    ("taps rows", (1, 6, 13, 14), 7, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, None, "rows"),
    ("taps rows 7x7", (1, 3, 16, 16), 9, (7, 7), (1, 1), (3, 3, 3, 3), (1, 1), 1, None, "rows"),
    ("taps rows dilated", (1, 3, 15, 17), 5, (3, 3), (1, 1), (0, 2, 2, 1), (2, 2), 1, None, "rows"),
    ("gemm batch s2", (5, 6, 9, 9), 5, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1, 1, "batch"),
    ("gemm batch 1x1", (3, 6, 7, 7), 6, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, 1, "batch"),
    ("gemm batch grouped", (5, 6, 9, 7), 9, (3, 2), (2, 1), (0, 1, 2, 0), (2, 1), 3, 1, "batch"),
    ("gemm chunks", (5, 6, 7, 7), 6, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, 100, "matmul"),
    ("gemm batch, 1 sample a chunk", (3, 6, 7, 7), 6, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, 97, "batch"),
    ("gemm one sample", (1, 6, 9, 9), 8, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1, None, "im2col"),
    ("gemm one sample 7x7", (1, 3, 20, 20), 4, (7, 7), (2, 2), (3, 3, 3, 3), (1, 1), 1, None, "im2col"),
]


@pytest.mark.parametrize("case", TWO_THREAD_CONVS, ids=[c[0] for c in TWO_THREAD_CONVS])
def test_conv2d_two_threads_match_oracle(case, split2, monkeypatch):
    """At 2 kernel threads each split path gives the oracle's values and the formula's MACs
    (a dropped piece leaves NaN and too few MACs, a piece run twice too many), and the same
    result as 1 thread up to rounding."""
    from archcalc.executor.threads import kernel_threads

    _, xs, c_out, (kh, kw), stride, padding, dilation, groups, columns, expect = case
    if columns is not None:
        monkeypatch.setattr(K, "_GEMM_COLUMNS", columns)
    monkeypatch.setattr(K, "_TAPS_MIN_WIDTH", 12)
    rng = np.random.default_rng(zlib.crc32(case[0].encode()))
    x = rand(rng, *xs)
    w = rand(rng, c_out, xs[1] // groups, kh, kw)
    b = rand(rng, c_out)
    ref = conv_oracle(x, w, b, stride, padding, dilation, groups)
    _poison(ref.shape)
    y, macs = K.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert y.shape == ref.shape and y.flags.c_contiguous
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    N, _, ho, wo = ref.shape
    assert macs == mac_formula(N, c_out, ho, wo, kh, kw, xs[1], groups)
    jobs = list(split2)
    if expect == "batch":
        assert _split_jobs(jobs, N)
    elif expect == "channels":
        assert len(_split_jobs(jobs, c_out)) == N  # one job per sample, over its output channels
    elif expect == "rows":
        assert len(_split_jobs(jobs, ho)) == N  # one job per sample, over its output rows
    else:
        assert not [t for t, _ in jobs if t == N and N > 1]  # chunks are not split by sample
        assert jobs and all(len(p) > 1 for _, p in jobs)
        if expect == "im2col":  # the im2col rows, by input channel, then the sgemm's blocks
            assert _split_jobs(jobs, xs[1]) and len(jobs) == 2
    with kernel_threads(1):
        y1, macs1 = K.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert macs1 == macs
    np.testing.assert_allclose(y, y1, rtol=1e-5, atol=1e-5 * float(np.abs(y1).max()))


@pytest.mark.parametrize("name", ["relu", "batchnorm", "add", "add3", "maxpool", "maxpool ceil"])
def test_elementwise_two_threads_split_and_identical(name, split2):
    """BN, ReLU, Add and max pooling split their (sample, channel) planes or flat ranges at 2
    kernel threads and compute exactly what 1 thread computes (every piece once)."""
    from archcalc.executor.threads import kernel_threads

    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = rand(rng, 3, 5, 9, 11)
    x.flat[:3] = [np.nan, -0.0, 0.0]
    c = x.shape[1]
    g, be, mu, var = rand(rng, c), rand(rng, c), rand(rng, c), (rng.random(c) + 0.1).astype(np.float32)
    others = [rand(rng, *x.shape) for _ in range(2)]
    fns = {
        "relu": (lambda: K.relu(x), x.size, np.maximum(x, 0)),
        "batchnorm": (lambda: K.batchnorm(x, g, be, mu, var), 3 * c,
                      ((x - mu.reshape(1, c, 1, 1)) / np.sqrt(var.reshape(1, c, 1, 1) + 1e-5) * g.reshape(1, c, 1, 1)
                       + be.reshape(1, c, 1, 1))),
        "add": (lambda: K.add(x, others[0]), x.size, x + others[0]),
        "add3": (lambda: K.add(x, others[0], others[1]), x.size, x + others[0] + others[1]),
        "maxpool": (lambda: K.maxpool2d(x, 3, 2, 1), 3 * c,
                    pool_windows(x, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), -np.inf).max(axis=(-2, -1))),
        "maxpool ceil": (lambda: K.maxpool2d(x, 2, 2, 0, 1, True), 3 * c,
                         pool_windows(x, (2, 2), (2, 2), (0, 0, 0, 0), (1, 1), -np.inf, (1, 1)).max(axis=(-2, -1))),
    }
    fn, total, ref = fns[name]
    _poison(ref.shape)
    y, macs = fn()
    assert macs == 0 and y.shape == ref.shape
    assert len(_split_jobs(list(split2), total)) == 1
    np.testing.assert_allclose(y, ref, rtol=EW_RTOL, atol=EW_ATOL)  # NaN where the reference has it
    with kernel_threads(1):
        y1, _ = fn()
    np.testing.assert_array_equal(y, y1)
