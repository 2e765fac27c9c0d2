"""Reference-executor kernels (NumPy + Numba).

This module is an *independent* second derivation of the static cost model:
no function here computes a MAC count from a closed formula of shapes.  Every
kernel counts the multiply-accumulates it actually performs, either from the
dimensions of the matrix products it really issues (``M*K*N`` per 2-D product,
times the number of products in the batch) or from the loop extents its Numba
loops actually run.

Conventions
-----------
* All tensors are float32; 4-D tensors are NCHW, 2-D tensors are (N, F).
* Every kernel returns ``(output, macs)``; ``macs`` is a Python ``int`` for
  the whole batch (0 for ops that do no multiply-accumulates: normalisation,
  activations, pooling and the elementwise/structural ops all return 0).
* Zero-padded convolution taps are counted (the static model counts
  ``kh*kw*C_in/groups`` per output element, padding included); bias adds are
  not MACs.
* Every op returns a freshly allocated array; inputs are never modified and no
  output is a view of an input.
* Padding tuples are ``(top, bottom, left, right)``; asymmetric padding is
  allowed.

Threading: the Numba kernels are compiled serial (``parallel=False``; Numba's
threading layer and OpenBLAS's spinning threads made a MobileNet-v1 conv stack
~7x slower on 2 cores).  Instead, large matmuls (row/column blocks) and the
``nogil`` depthwise kernel (channel ranges) are split over the run's kernel
threads by :func:`archcalc.executor.threads.parallel_ranges`, with OpenBLAS
itself single-threaded; the MACs are summed over the pieces actually issued.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from archcalc.executor.threads import ELEMENT_WORK, kernel_thread_count, parallel_ranges

__all__ = [
    "adaptive_pool2d",
    "add",
    "channel_shuffle",
    "chunk",
    "mean_hw",
    "avgpool2d",
    "batchnorm",
    "concat",
    "conv2d",
    "conv_transpose2d",
    "pad",
    "upsample",
    "erf",
    "flatten",
    "gelu",
    "gelu_tanh",
    "global_avgpool",
    "groupnorm",
    "hardsigmoid",
    "hardswish",
    "layer_scale",
    "layernorm_channels",
    "linear",
    "maxpool2d",
    "mul",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "softmax",
    "tanh",
]

_F32 = np.float32


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _f32(a) -> np.ndarray:
    """float32 view-or-copy of ``a`` (never modified by callers)."""
    return np.asarray(a, dtype=_F32)


def _pair(v) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v[0], v[0]
    if len(v) != 2:
        raise ValueError(f"expected an int or a pair, got {v!r}")
    return v


def _pad4(p) -> tuple[int, int, int, int]:
    """Normalise padding to (top, bottom, left, right)."""
    if isinstance(p, (int, np.integer)):
        p = int(p)
        return p, p, p, p
    p = tuple(int(e) for e in p)
    if len(p) == 2:  # (ph, pw), symmetric
        return p[0], p[0], p[1], p[1]
    if len(p) != 4:
        raise ValueError(f"padding must be int, (ph, pw) or (top, bottom, left, right); got {p!r}")
    if min(p) < 0:
        raise ValueError(f"negative padding {p!r}")
    return p


def _pad_hw(
    x: np.ndarray, top: int, bottom: int, left: int, right: int, value: float = 0.0
) -> np.ndarray:
    """Return a new C-contiguous (N, C, H+top+bottom, W+left+right) array."""
    N, C, H, W = x.shape
    if top == bottom == left == right == 0:
        return np.ascontiguousarray(x)
    if value == 0.0:
        xp = np.zeros((N, C, H + top + bottom, W + left + right), dtype=_F32)
    else:
        xp = np.full((N, C, H + top + bottom, W + left + right), value, dtype=_F32)
    xp[:, :, top : top + H, left : left + W] = x
    return xp


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """``a @ b`` plus the MACs of the products actually issued.

    The count is taken from the operands handed to BLAS: for every 2-D product
    in the (broadcast) batch, ``M*K*N`` multiply-accumulates, summed over the
    blocks issued. A large product is issued as row blocks of ``a`` (or column
    blocks of ``b`` when ``N > M``) on the run's kernel threads
    (:func:`archcalc.executor.threads.parallel_ranges`). ``out`` (optional) is a C-contiguous
    float32 array of the product's shape to write into instead of a new one.
    """
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError("_matmul needs operands of rank >= 2")
    m, k = a.shape[-2:]
    k2, n = b.shape[-2:]
    if k != k2:
        raise ValueError(f"inner dimensions differ: {a.shape} @ {b.shape}")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if out is None:
        out = np.empty(batch + (m, n), dtype=np.result_type(a, b))
    elif out.shape != batch + (m, n) or out.dtype != np.result_type(a, b):
        raise ValueError(f"_matmul: out has shape {out.shape}, the product {batch + (m, n)}")
    products = 1
    for d in batch:
        products *= int(d)
    issued = []  # MACs of each block issued (list.append is atomic)

    def rows(lo: int, hi: int) -> None:
        np.matmul(a[..., lo:hi, :], b, out=out[..., lo:hi, :])
        issued.append(products * (hi - lo) * int(k) * int(n))

    def cols(lo: int, hi: int) -> None:
        np.matmul(a, b[..., lo:hi], out=out[..., lo:hi])
        issued.append(products * int(m) * int(k) * (hi - lo))

    work = products * int(m) * int(k) * int(n)
    if m >= n:
        parallel_ranges(int(m), work, rows)
    else:
        parallel_ranges(int(n), work, cols)
    return out, sum(issued)


def _strided_tap(
    xp: np.ndarray, oy0: int, ox0: int, ho: int, wo: int, sh: int, sw: int
) -> np.ndarray:
    """View of xp[..., oy0 + sh*i, ox0 + sw*j] for i < ho, j < wo."""
    return xp[..., oy0 : oy0 + sh * (ho - 1) + 1 : sh, ox0 : ox0 + sw * (wo - 1) + 1 : sw]


def _window_out(
    size: int, k: int, s: int, p0: int, p1: int, d: int, ceil_mode: bool = False
) -> int:
    """Output extent of a sliding window (PyTorch conventions, incl. ceil_mode)."""
    span = size + p0 + p1 - d * (k - 1) - 1
    if span < 0:
        raise ValueError("window larger than padded input")
    if ceil_mode:
        o = -(-span // s) + 1
        # the last window must start inside the input or the leading padding
        if (o - 1) * s >= size + p0:
            o -= 1
        return o
    return span // s + 1


# --------------------------------------------------------------------------
# convolution
# --------------------------------------------------------------------------
_DW_BLOCK = 2048  #: output lanes (floats) per row block of the depthwise kernel: acc + input span stay in L1
_DW_SMALL = 20  #: output widths below this take the channels-last depthwise kernel (measured: 14 and 7 gain 2x, 28 loses)


@njit(cache=True, fastmath={"contract"}, error_model="numpy", nogil=True)
def _fill_phases(xc, q, sh, sw, pt, pl, hq, wq):  # pragma: no cover - numba
    """Scatter one (H, W) input plane into its zero-padded stride phases ``q`` (flat, sh*sw planes
    of hq x wq): ``q[(py*sw + px)*hq*wq + a*wq + b] = xp[a*sh + py, b*sw + px]``, xp the plane
    padded by pt rows on top and pl columns on the left. Only input positions are written, so the
    padding zeros of a zero-filled ``q`` survive any number of fills of the same geometry."""
    h = xc.shape[0]
    wd = xc.shape[1]
    plane = hq * wq
    for r in range(h):
        rp = r + pt
        a = rp // sh
        py = rp - a * sh
        xr = xc[r]
        if sw == 1:
            dst = q[py * plane + a * wq + pl:]
            for j in range(wd):
                dst[j] = xr[j]
        elif sw == 2:
            # deinterleave: input column 2j -> phase pl % 2, column 2j+1 -> the other phase
            p0 = pl % 2
            da = q[(py * 2 + p0) * plane + a * wq + pl // 2:]
            db = q[(py * 2 + 1 - p0) * plane + a * wq + (pl + 1) // 2:]
            half = wd // 2
            for j in range(half):
                da[j] = xr[2 * j]
                db[j] = xr[2 * j + 1]
            if wd % 2:
                da[half] = xr[wd - 1]
        else:
            for px in range(sw):
                c0 = (px - pl) % sw  # first input column of phase px
                dst = q[(py * sw + px) * plane + a * wq + (c0 + pl) // sw:]
                for j in range((wd - c0 + sw - 1) // sw):
                    dst[j] = xr[c0 + j * sw]


@njit(cache=True, fastmath={"contract"}, error_model="numpy", nogil=True)
def _depthwise_kernel(x, w, out, sh, sw, pt, pb, pl, pr, dh, dw, lo, hi):  # pragma: no cover - numba
    """Direct depthwise conv over the stride phases of each padded plane, (sample, output channel)
    planes lo..hi-1.

    x: (N, C, H, W), unpadded; w: (C*mult, 1, kh, kw); out: (N, C*mult, Ho, Wo) (planes
    idx = n*C*mult + co, lo <= idx < hi, overwritten). Output channel co reads input channel
    co // mult. Each input plane is scattered (:func:`_fill_phases`) into a per-call scratch
    of its zero-padded ``sh x sw`` stride phases (``sh*sw*Hq*Wq`` floats, cache-resident;
    the whole padded tensor is never written to memory), so every tap reads one phase at
    unit stride.

    A block of ``r`` output rows is computed as one flat run of ``L = (r-1)*Wq + Wo`` lanes
    (the ``Wq - Wo`` lanes between two output rows are computed and discarded), so the loop is
    long and contiguous whatever Wo is. A 3x3 kernel is register-blocked: the 9 taps of a
    vector of lanes are summed in registers (in tap order) and stored once; other kernels
    accumulate three taps per pass. Returns the multiply-accumulates executed into kept
    outputs, counted from the extents of the loops that ran (``L`` lanes per tap) minus the
    discarded lanes. ``nogil``: disjoint plane ranges run on several threads.
    """
    c_in = x.shape[1]
    h = x.shape[2]
    wd = x.shape[3]
    c_out = w.shape[0]
    mult = c_out // c_in
    kh = w.shape[2]
    kw = w.shape[3]
    ho = out.shape[2]
    wo = out.shape[3]
    hq = (h + pt + pb + sh - 1) // sh
    wq = (wd + pl + pr + sw - 1) // sw
    plane = hq * wq
    q = np.zeros(sh * sw * plane, dtype=np.float32)
    ntap = kh * kw
    offs = np.empty(ntap, dtype=np.int64)  # where tap t of output (0, 0) reads q
    for ky in range(kh):
        py = (ky * dh) % sh
        ay = (ky * dh) // sh
        for kx in range(kw):
            px = (kx * dw) % sw
            bx = (kx * dw) // sw
            offs[ky * kw + kx] = (py * sw + px) * plane + ay * wq + bx
    rows = max(1, _DW_BLOCK // wq)
    acc = np.empty(rows * wq, dtype=np.float32)
    wt = np.empty(ntap, dtype=np.float32)
    total = 0
    filled = -1
    for idx in range(lo, hi):
        n = idx // c_out
        co = idx - n * c_out
        ci = co // mult
        if n * c_in + ci != filled:
            _fill_phases(x[n, ci], q, sh, sw, pt, pl, hq, wq)
            filled = n * c_in + ci
        wk = w[co, 0]
        for ky in range(kh):
            for kx in range(kw):
                wt[ky * kw + kx] = wk[ky, kx]
        oc = out[n, co]
        for oy0 in range(0, ho, rows):
            r = min(rows, ho - oy0)
            length = (r - 1) * wq + wo
            base = oy0 * wq
            kept = length - (r - 1) * (wq - wo)  # lanes run, minus the discarded ones
            if ntap == 9:
                s0 = q[base + offs[0]:]
                s1 = q[base + offs[1]:]
                s2 = q[base + offs[2]:]
                s3 = q[base + offs[3]:]
                s4 = q[base + offs[4]:]
                s5 = q[base + offs[5]:]
                s6 = q[base + offs[6]:]
                s7 = q[base + offs[7]:]
                s8 = q[base + offs[8]:]
                w0 = wt[0]
                w1 = wt[1]
                w2 = wt[2]
                w3 = wt[3]
                w4 = wt[4]
                w5 = wt[5]
                w6 = wt[6]
                w7 = wt[7]
                w8 = wt[8]
                for i in range(length):
                    v = w0 * s0[i]
                    v += w1 * s1[i]
                    v += w2 * s2[i]
                    v += w3 * s3[i]
                    v += w4 * s4[i]
                    v += w5 * s5[i]
                    v += w6 * s6[i]
                    v += w7 * s7[i]
                    v += w8 * s8[i]
                    acc[i] = v
                total += 9 * kept
            else:
                for i in range(length):
                    acc[i] = 0.0
                t = 0
                while t < ntap:
                    if ntap - t >= 3:
                        s0 = q[base + offs[t]:]
                        s1 = q[base + offs[t + 1]:]
                        s2 = q[base + offs[t + 2]:]
                        w0 = wt[t]
                        w1 = wt[t + 1]
                        w2 = wt[t + 2]
                        for i in range(length):
                            v = acc[i]
                            v += w0 * s0[i]
                            v += w1 * s1[i]
                            v += w2 * s2[i]
                            acc[i] = v
                        total += 3 * kept
                        t += 3
                    else:
                        s0 = q[base + offs[t]:]
                        w0 = wt[t]
                        for i in range(length):
                            acc[i] += w0 * s0[i]
                        total += kept
                        t += 1
            for rr in range(r):
                orow = oc[oy0 + rr]
                arow = acc[rr * wq:]
                for ox in range(wo):
                    orow[ox] = arow[ox]
    return total


@njit(cache=True, fastmath={"contract"}, error_model="numpy", nogil=True)
def _dw_cl_3x3(xt, w9, out, sh, sw, dh, dw, lo, hi):  # pragma: no cover - numba
    """:func:`_depthwise_channels_last` for a 3x3 kernel, register-blocked: two adjacent output
    positions at a time, their 9 taps each summed in registers (in tap order) over a vector of
    channels, so every weight vector is loaded once for both. w9: (9, C), tap ky*3 + kx."""
    c = xt.shape[3]
    ho = out.shape[2]
    wo = out.shape[3]
    acc = np.empty((2, c), dtype=np.float32)
    acc0 = acc[0]
    acc1 = acc[1]
    w0 = w9[0]
    w1 = w9[1]
    w2 = w9[2]
    w3 = w9[3]
    w4 = w9[4]
    w5 = w9[5]
    w6 = w9[6]
    w7 = w9[7]
    w8 = w9[8]
    total = 0
    for idx in range(lo, hi):
        n = idx // ho
        oy = idx - n * ho
        r0 = xt[n, oy * sh]
        r1 = xt[n, oy * sh + dh]
        r2 = xt[n, oy * sh + 2 * dh]
        for ox in range(0, wo, 2):
            b = ox * sw
            a0 = r0[b]
            a1 = r0[b + dw]
            a2 = r0[b + 2 * dw]
            b0 = r1[b]
            b1 = r1[b + dw]
            b2 = r1[b + 2 * dw]
            c0 = r2[b]
            c1 = r2[b + dw]
            c2 = r2[b + 2 * dw]
            if ox + 1 < wo:
                e = b + sw
                d0 = r0[e]
                d1 = r0[e + dw]
                d2 = r0[e + 2 * dw]
                f0 = r1[e]
                f1 = r1[e + dw]
                f2 = r1[e + 2 * dw]
                g0 = r2[e]
                g1 = r2[e + dw]
                g2 = r2[e + 2 * dw]
                for k in range(c):
                    u0 = w0[k]
                    u1 = w1[k]
                    u2 = w2[k]
                    u3 = w3[k]
                    u4 = w4[k]
                    u5 = w5[k]
                    u6 = w6[k]
                    u7 = w7[k]
                    u8 = w8[k]
                    v = u0 * a0[k]
                    v += u1 * a1[k]
                    v += u2 * a2[k]
                    v += u3 * b0[k]
                    v += u4 * b1[k]
                    v += u5 * b2[k]
                    v += u6 * c0[k]
                    v += u7 * c1[k]
                    v += u8 * c2[k]
                    acc0[k] = v
                    z = u0 * d0[k]
                    z += u1 * d1[k]
                    z += u2 * d2[k]
                    z += u3 * f0[k]
                    z += u4 * f1[k]
                    z += u5 * f2[k]
                    z += u6 * g0[k]
                    z += u7 * g1[k]
                    z += u8 * g2[k]
                    acc1[k] = z
                total += 18 * c  # two outputs x 9 taps per iteration of the channel loop just run
                for k in range(c):
                    out[n, k, oy, ox] = acc0[k]
                    out[n, k, oy, ox + 1] = acc1[k]
            else:
                for k in range(c):
                    v = w0[k] * a0[k]
                    v += w1[k] * a1[k]
                    v += w2[k] * a2[k]
                    v += w3[k] * b0[k]
                    v += w4[k] * b1[k]
                    v += w5[k] * b2[k]
                    v += w6[k] * c0[k]
                    v += w7[k] * c1[k]
                    v += w8[k] * c2[k]
                    acc0[k] = v
                total += 9 * c
                for k in range(c):
                    out[n, k, oy, ox] = acc0[k]
    return total


@njit(cache=True, fastmath={"contract"}, error_model="numpy", nogil=True)
def _depthwise_channels_last(xt, w, out, sh, sw, dh, dw, lo, hi):  # pragma: no cover - numba
    """Direct depthwise conv, channels innermost, for small planes: output rows lo..hi-1.

    xt: (N, Hp, Wp, C) zero-padded input, channels last; w: (kh, kw, C); out: (N, C, Ho, Wo)
    (rows idx = n*Ho + oy, lo <= idx < hi, overwritten). Each output position accumulates
    its taps over a contiguous run of C channels, so the loop is vectorised across channels
    however small the plane is; the C sums are then stored into the NCHW output. Returns the
    multiply-accumulates executed, counted from the extents of the innermost (channel)
    loops that ran.
    """
    c = xt.shape[3]
    kh = w.shape[0]
    kw = w.shape[1]
    ho = out.shape[2]
    wo = out.shape[3]
    acc = np.empty(c, dtype=np.float32)
    total = 0
    for idx in range(lo, hi):
        n = idx // ho
        oy = idx - n * ho
        for ox in range(wo):
            for k in range(c):
                acc[k] = 0.0
            for ky in range(kh):
                for kx in range(kw):
                    xr = xt[n, oy * sh + ky * dh, ox * sw + kx * dw]
                    wr = w[ky, kx]
                    for k in range(c):
                        acc[k] += wr[k] * xr[k]
                    total += c  # one MAC per iteration of the channel loop just run
            for k in range(c):
                out[n, k, oy, ox] = acc[k]
    return total


#: narrowest output row for which a stride-1 conv sums one sgemm per tap over the padded
#: input (:func:`_conv_taps`) instead of im2col + one sgemm: at batch 8, 1 thread, ResNet-50's
#: 3x3 convs took 24 against 32 ms (56 wide), 23/27 (28), 25/28 (14), but 46/26 at 7 wide,
#: where the two discarded padding columns of each 9-wide row are 29 % of the products (a Zen 3
#: core). On a Zen 5 core (session s22, OpenBLAS's Haswell and SkylakeX kernels alike) the
#: 14-wide ones are faster as im2col + sgemm: im2col / taps 0.71-0.83 at batch 1, 0.89-1.00 at
#: batch 8, 1 and 2 threads; 28 wide about even, 56 wide taps 1.1-2x faster. So 16: ResNet-50's
#: whole forward 1-10 % faster there in every case (batch 1 and 8, 1 and 2 threads, both kernel sets)
_TAPS_MIN_WIDTH = 16


def _conv_taps(x, w, pads, dilation, ho, wo, y):
    """Stride-1, ungrouped conv2d without im2col: ``sum over taps of w[:, :, ky, kx] @ shifted x``.

    Each sample's zero-padded input is one ``(C, Hp*Wp + extra)`` row-major buffer; the tap
    (ky, kx) reads the view starting at ``ky*dh*Wp + kx*dw`` of ``ho*Wp`` columns (a BLAS
    operand with leading dimension = the buffer's row, no copy), so every product computes
    ``ho`` full padded rows of ``Wp`` positions; the last ``Wp - wo`` of each row are not
    outputs and are dropped. The output channels (rows of every tap's product), or when the
    products are wider than tall the output rows (their columns), are split over the run's
    kernel threads, each piece summing all taps of its block (one hand-off per sample).
    Writes ``y`` (N, c_out, ho, wo); returns the macs of the kept positions only (the issued
    products times ``wo / Wp``).
    """
    (pt, pb, pl, pr), (dh, dw) = pads, dilation
    N, C, H, W = x.shape
    c_out, _, kh, kw = w.shape
    hp, wp = H + pt + pb, W + pl + pr
    cols = ho * wp
    buf = np.zeros((C, hp * wp + (kw - 1) * dw), dtype=_F32)
    plane = buf[:, :hp * wp].reshape(C, hp, wp)
    taps = [np.ascontiguousarray(w[:, :, ky, kx]) for ky in range(kh) for kx in range(kw)]
    issued = []  # MACs issued by each piece (list.append is atomic)

    def block(n: int, c0: int, c1: int, r0: int, r1: int) -> None:
        """Output channels c0..c1-1, output rows r0..r1-1 of sample n: all taps summed."""
        span = (r1 - r0) * wp
        a = np.empty((c1 - c0, span), dtype=_F32)
        p = np.empty((c1 - c0, span), dtype=_F32)
        m_sum = 0
        for t, wt in enumerate(taps):
            off = (t // kw) * dh * wp + (t % kw) * dw + r0 * wp
            _, m = _matmul(wt[c0:c1], buf[:, off:off + span], out=a if t == 0 else p)
            if t:
                a += p
            m_sum += m
        y[n, c0:c1, r0:r1] = a.reshape(c1 - c0, r1 - r0, wp)[:, :, :wo]
        issued.append(m_sum)

    work = c_out * C * len(taps) * cols
    for n in range(N):
        plane[:, pt:pt + H, pl:pl + W] = x[n]
        if c_out >= cols:  # split the output channels (rows of every tap's product)
            parallel_ranges(c_out, work, lambda lo, hi, n=n: block(n, lo, hi, 0, ho))
        else:  # split the output rows (columns of every product: each piece packs only its own)
            parallel_ranges(ho, work, lambda lo, hi, n=n: block(n, 0, c_out, lo, hi))
    total = sum(issued)
    if total % wp:
        raise ValueError("conv taps: issued products do not cover whole padded rows")
    return total // wp * wo


#: columns (samples x output positions) of one im2col + sgemm chunk: samples are batched into
#: one product until it has about this many columns (ResNet-50's 7x7 stage: 49 per sample ran
#: OpenBLAS at 58-69 GFLOP/s, 8 samples in one product at 84-87); wider planes go one sample
#: at a time, so the sample's columns stay in cache between im2col and sgemm
_GEMM_COLUMNS = 384


def _conv_gemm(x, w, stride, pads, dilation, groups, ho, wo, y):
    """Non-depthwise conv2d as sgemm over chunks of samples into ``y``; returns the macs.

    A chunk of ``nb`` samples is one product per group, ``(cout_g, cin_g*kh*kw) @
    (cin_g*kh*kw, nb*ho*wo)``: the columns are im2col taps of the chunk's padded input
    (for a 1x1 stride-1 unpadded conv, the input itself), laid out channel-major. A chunk
    of one sample is written straight into ``y``; a wider chunk's ``(c_out, nb, ho*wo)``
    result is transposed into it.
    """
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = stride, pads, dilation
    N, C, H, W = x.shape
    c_out, cin_g, kh, kw = w.shape
    cout_g, hw = c_out // groups, ho * wo
    kk = cin_g * kh * kw
    wm = np.ascontiguousarray(w).reshape(groups, cout_g, kk)
    plain = kh == kw == 1 and sh == sw == 1 and pt == pb == pl == pr == 0
    step = max(1, min(N, _GEMM_COLUMNS // hw))
    macs = 0
    for n0 in range(0, N, step):
        nb = min(step, N - n0)
        xs = x[n0:n0 + nb]
        if plain and nb == 1:
            cols = np.ascontiguousarray(xs).reshape(groups, kk, hw)
        elif plain:
            cols = np.empty((C, nb, hw), dtype=_F32)
            cols[...] = xs.reshape(nb, C, hw).transpose(1, 0, 2)
            cols = cols.reshape(groups, kk, nb * hw)
        else:
            xp = _pad_hw(xs, pt, pb, pl, pr)
            cols = np.empty((C, kh, kw, nb, ho, wo), dtype=_F32)

            def fill(lo: int, hi: int, xp=xp, cols=cols) -> None:  # im2col rows of input channels lo..hi-1
                for ky in range(kh):
                    for kx in range(kw):
                        tap = _strided_tap(xp[:, lo:hi], ky * dh, kx * dw, ho, wo, sh, sw)
                        cols[lo:hi, ky, kx] = tap.transpose(1, 0, 2, 3)

            _planes(C, cols.size, fill)  # by channel over the kernel threads (unless inside a piece)
            cols = cols.reshape(groups, kk, nb * hw)
        if nb == 1:
            _, m = _matmul(wm, cols, out=y[n0].reshape(groups, cout_g, hw))
        else:
            ym, m = _matmul(wm, cols)  # (g, cout_g, nb*hw)
            y[n0:n0 + nb] = ym.reshape(c_out, nb, ho, wo).transpose(1, 0, 2, 3)
        macs += m
    return macs


def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """2-D convolution (cross-correlation), NCHW.

    w: (C_out, C_in/groups, kh, kw); b: None or (C_out,);
    padding: (top, bottom, left, right) (an int or (ph, pw) is also accepted).
    Returns (y, macs) with y of shape (N, C_out, Ho, Wo),
    Ho = (H + pt + pb - dh*(kh-1) - 1)//sh + 1.
    """
    x = _f32(x)
    w = _f32(w)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"conv2d expects 4-D x and w, got {x.shape} and {w.shape}")
    sh, sw = _pair(stride)
    dh, dw = _pair(dilation)
    pt, pb, pl, pr = _pad4(padding)
    groups = int(groups)
    N, C, H, W = x.shape
    c_out, cin_g, kh, kw = w.shape
    if groups < 1 or C % groups or c_out % groups:
        raise ValueError(f"groups={groups} does not divide C_in={C} and C_out={c_out}")
    if cin_g * groups != C:
        raise ValueError(f"weight expects {cin_g * groups} input channels, x has {C}")
    if min(sh, sw, dh, dw) < 1:
        raise ValueError("stride and dilation must be >= 1")
    ho = _window_out(H, kh, sh, pt, pb, dh)
    wo = _window_out(W, kw, sw, pl, pr, dw)
    if ho < 1 or wo < 1:
        raise ValueError("empty conv output")
    cout_g = c_out // groups

    if groups == C and cin_g == 1 and groups > 1 and cout_g == 1 and wo < _DW_SMALL:
        # depthwise on small planes: channels-last Numba kernel (vectorised over channels)
        xt = np.zeros((N, H + pt + pb, W + pl + pr, C), dtype=_F32)
        xt[:, pt:pt + H, pl:pl + W, :] = x.transpose(0, 2, 3, 1)
        wt = np.ascontiguousarray(w[:, 0].transpose(1, 2, 0))
        y = np.empty((N, c_out, ho, wo), dtype=_F32)
        issued = []

        if kh == kw == 3:
            w9 = wt.reshape(9, C)

            def out_rows(lo: int, hi: int) -> None:
                issued.append(int(_dw_cl_3x3(xt, w9, y, sh, sw, dh, dw, lo, hi)))
        else:

            def out_rows(lo: int, hi: int) -> None:
                issued.append(int(_depthwise_channels_last(xt, wt, y, sh, sw, dh, dw, lo, hi)))

        parallel_ranges(N * ho, y.size * kh * kw, out_rows)
        macs = sum(issued)
    elif groups == C and cin_g == 1 and groups > 1:
        # depthwise (channel multiplier cout_g): direct Numba kernel over phase planes
        xc, wc = np.ascontiguousarray(x), np.ascontiguousarray(w)
        y = np.empty((N, c_out, ho, wo), dtype=_F32)
        issued = []

        def planes(lo: int, hi: int) -> None:
            issued.append(int(_depthwise_kernel(xc, wc, y, sh, sw, pt, pb, pl, pr, dh, dw, lo, hi)))

        parallel_ranges(N * c_out, y.size * kh * kw, planes)
        macs = sum(issued)
    else:
        y = np.empty((N, c_out, ho, wo), dtype=_F32)
        taps = sh == sw == 1 and groups == 1 and kh * kw > 1 and wo >= _TAPS_MIN_WIDTH
        if taps:
            conv = lambda xs, ys: _conv_taps(xs, w, (pt, pb, pl, pr), (dh, dw), ho, wo, ys)
        else:
            conv = lambda xs, ys: _conv_gemm(xs, w, (sh, sw), (pt, pb, pl, pr), (dh, dw), groups, ho, wo, ys)
        if N > 1 and kernel_thread_count() > 1 and (taps or _GEMM_COLUMNS // (ho * wo) <= 1):
            # several kernel threads and samples that go one at a time: split the batch, each
            # piece running the 1-thread path on its samples (planes narrower than that are
            # sgemm chunks of several samples, whose row blocks _matmul splits instead)
            issued = []

            def samples(lo: int, hi: int) -> None:
                issued.append(conv(x[lo:hi], y[lo:hi]))

            parallel_ranges(N, N * c_out * ho * wo * cin_g * kh * kw, samples)
            macs = sum(issued)
        else:
            macs = conv(x, y)

    if b is not None:
        y += _f32(b).reshape(1, c_out, 1, 1)
    return y, int(macs)


def linear(x, w, b=None):
    """Fully connected layer. x: (N, F) or (N, C, H, W) (applied over C at every
    position, output (N, out, H, W)); w: (out, in); b: None or (out,)."""
    x = _f32(x)
    w = _f32(w)
    if w.ndim != 2:
        raise ValueError(f"linear weight must be 2-D, got {w.shape}")
    n_out, n_in = w.shape
    if x.ndim == 2:
        if x.shape[1] != n_in:
            raise ValueError(f"linear: x has {x.shape[1]} features, w expects {n_in}")
        y, macs = _matmul(x, w.T)  # (N, out)
        if b is not None:
            y += _f32(b).reshape(1, n_out)
        return y, int(macs)
    if x.ndim == 4:
        N, C, H, W = x.shape
        if C != n_in:
            raise ValueError(f"linear: x has {C} channels, w expects {n_in}")
        y, macs = _matmul(w, np.ascontiguousarray(x).reshape(N, C, H * W))  # (N, out, HW)
        y = y.reshape(N, n_out, H, W)
        if b is not None:
            y += _f32(b).reshape(1, n_out, 1, 1)
        return y, int(macs)
    raise ValueError(f"linear expects a 2-D or 4-D input, got {x.shape}")


# --------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------
def _chan_shape(x: np.ndarray) -> tuple[int, ...]:
    if x.ndim < 2:
        raise ValueError(f"expected (N, C, ...) input, got {x.shape}")
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


@njit(cache=True, error_model="numpy", nogil=True)
def _channel_moments(x3):  # pragma: no cover - numba
    """Per-channel sum and sum of squares (float64) of x3: (N, C, L), one pass."""
    n, c, length = x3.shape
    s = np.zeros(c, dtype=np.float64)
    q = np.zeros(c, dtype=np.float64)
    for i in range(n):
        for k in range(c):
            a = 0.0
            b = 0.0
            row = x3[i, k]
            for j in range(length):
                v = np.float64(row[j])
                a += v
                b += v * v
            s[k] += a
            q[k] += b
    return s, q


def channel_stats(x) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (axis 1) mean and (biased) variance of ``x`` over every other axis, float64,
    in one pass (a helper for data-calibrated BN statistics, not a kernel)."""
    x = np.ascontiguousarray(_f32(x))
    x3 = x.reshape(x.shape[0], x.shape[1], -1)
    s, q = _channel_moments(x3)
    count = x3.shape[0] * x3.shape[2]
    mean = s / count
    return mean, np.maximum(q / count - mean * mean, 0.0)


@njit(cache=True, error_model="numpy", nogil=True)
def _scale_shift(x3, scale, shift, y3, lo, hi):  # pragma: no cover - numba
    """y3[n, c, :] = x3[n, c, :] * scale[c] + shift[c] (rounded after each operation) for the
    (sample, channel) planes idx = n*C + c, lo <= idx < hi; one pass."""
    c = x3.shape[1]
    for idx in range(lo, hi):
        i = idx // c
        k = idx - i * c
        a = scale[k]
        b = shift[k]
        src = x3[i, k]
        dst = y3[i, k]
        for j in range(src.shape[0]):
            dst[j] = src[j] * a + b
    return 0


def _planes(total: int, elements: int, fn) -> None:
    """``fn(lo, hi)`` over a partition of ``range(total)`` planes (``elements`` in all) on the
    run's kernel threads (a one-pass elementwise job: :data:`~archcalc.executor.threads.ELEMENT_WORK`)."""
    parallel_ranges(total, elements * ELEMENT_WORK, fn)


def batchnorm(x, gamma, beta, mean, var, eps=1e-5):
    """Inference-mode batch norm per channel (axis 1): ``x * scale + shift`` in one pass
    (the (sample, channel) planes split over the run's kernel threads)."""
    x = _f32(x)
    _chan_shape(x)
    g = np.asarray(gamma, dtype=np.float64)
    scale = g / np.sqrt(np.asarray(var, dtype=np.float64) + eps)
    shift = np.asarray(beta, dtype=np.float64) - np.asarray(mean, dtype=np.float64) * scale
    xc = np.ascontiguousarray(x)
    y = np.empty(x.shape, _F32)
    n, c = x.shape[:2]
    x3, y3 = xc.reshape(n, c, -1), y.reshape(n, c, -1)
    s32, b32 = scale.astype(_F32), shift.astype(_F32)
    _planes(n * c, y.size, lambda lo, hi: _scale_shift(x3, s32, b32, y3, lo, hi))
    return y, 0


def layernorm_channels(x, gamma, beta, eps=1e-6):
    """LayerNorm over the channel axis at every (n, h, w) (ConvNeXt
    channels_first LayerNorm); also accepts (N, C)."""
    x = _f32(x)
    cs = _chan_shape(x)
    mu = x.mean(axis=1, keepdims=True, dtype=np.float64)
    xc = x - mu.astype(_F32)
    var = np.mean(np.square(xc, dtype=np.float64), axis=1, keepdims=True)
    y = xc * (1.0 / np.sqrt(var + eps)).astype(_F32)
    y *= _f32(gamma).reshape(cs)
    y += _f32(beta).reshape(cs)
    return y, 0


def groupnorm(x, num_groups, gamma, beta, eps=1e-5):
    """GroupNorm: statistics over (C/G, *spatial) per (n, group)."""
    x = _f32(x)
    cs = _chan_shape(x)
    G = int(num_groups)
    N, C = x.shape[:2]
    if G < 1 or C % G:
        raise ValueError(f"num_groups={G} does not divide C={C}")
    xg = x.reshape(N, G, -1)
    mu = xg.mean(axis=2, keepdims=True, dtype=np.float64)
    xc = xg - mu.astype(_F32)
    var = np.mean(np.square(xc, dtype=np.float64), axis=2, keepdims=True)
    y = (xc * (1.0 / np.sqrt(var + eps)).astype(_F32)).reshape(x.shape)
    y *= _f32(gamma).reshape(cs)
    y += _f32(beta).reshape(cs)
    return y, 0


# --------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------
@njit(cache=True, fastmath=False, error_model="numpy")
def _erf_kernel(xf, out):  # pragma: no cover - numba
    for i in range(xf.shape[0]):
        out[i] = math.erf(np.float64(xf[i]))


# Rational minimax approximation of erf on [-4, 4] (the form used by Eigen's
# float erf): erf(x) ~= x*P(x^2)/Q(x^2), |x| clamped to 4 (erf(4) rounds to 1 in
# float32).  Evaluated in float64 its max abs error vs math.erf is ~6.5e-8,
# i.e. below float32 resolution near +-1.  Unlike a libm call it is plain
# multiply/add/divide, so LLVM vectorises the loop (~9x faster than math.erf).
# error_model="numpy" on every kernel: Numba's default Python error model puts
# a ZeroDivisionError branch on each division, which blocks vectorisation.


@njit(cache=True, fastmath=False, error_model="numpy")
def _erf_rational(v):  # pragma: no cover - numba
    x = min(max(v, -4.0), 4.0)
    x2 = x * x
    p = -2.72614225801306e-10
    p = p * x2 + 2.77068142495902e-08
    p = p * x2 - 2.10102402082508e-06
    p = p * x2 - 5.69250639462346e-05
    p = p * x2 - 7.34990630326855e-04
    p = p * x2 - 2.95459980854025e-03
    p = p * x2 - 1.60960333262415e-02
    q = -1.45660718464996e-05
    q = q * x2 - 2.13374055278905e-04
    q = q * x2 - 1.68282697438203e-03
    q = q * x2 - 7.37332916720468e-03
    q = q * x2 - 1.42647390514189e-02
    return x * p / q


@njit(cache=True, fastmath=False, error_model="numpy")
def _erf_fast_kernel(xf, out):  # pragma: no cover - numba
    for i in range(xf.shape[0]):
        out[i] = _erf_rational(np.float64(xf[i]))


@njit(cache=True, fastmath=False, error_model="numpy")
def _gelu_kernel(xf, out):  # pragma: no cover - numba
    for i in range(xf.shape[0]):
        v = np.float64(xf[i])
        out[i] = 0.5 * v * (1.0 + _erf_rational(v * 0.7071067811865476))


def _erf_fast(x) -> np.ndarray:
    """erf via the vectorisable rational approximation (what gelu uses)."""
    x = np.asarray(x)
    dt = np.float64 if x.dtype == np.float64 else _F32
    xf = np.ascontiguousarray(x, dtype=dt).reshape(-1)
    out = np.empty(xf.shape, dtype=dt)
    _erf_fast_kernel(xf, out)
    return out.reshape(x.shape)


def erf(x) -> np.ndarray:
    """Vectorised exact error function via math.erf (helper, not a kernel:
    returns only the array).  float32 in -> float32 out, float64 in -> float64
    out; evaluated in float64.  gelu uses the faster rational form (_erf_fast)."""
    x = np.asarray(x)
    dt = np.float64 if x.dtype == np.float64 else _F32
    xf = np.ascontiguousarray(x, dtype=dt).reshape(-1)
    out = np.empty(xf.shape, dtype=dt)
    _erf_kernel(xf, out)
    return out.reshape(x.shape)


@njit(cache=True, error_model="numpy", nogil=True)
def _relu_range(xf, yf, lo, hi):  # pragma: no cover - numba
    """yf[i] = max(xf[i], 0) for lo <= i < hi; NaN stays NaN (as np.maximum and torch.relu)."""
    zero = np.float32(0.0)
    xs = xf[lo:hi]  # (indexing xf[i] over range(lo, hi) would not vectorise: i might be negative)
    ys = yf[lo:hi]
    for i in range(xs.shape[0]):
        v = xs[i]
        ys[i] = zero if v < zero else v
    return 0


def relu(x):
    """max(x, 0) in one Numba pass (flat ranges split over the run's kernel threads)."""
    x = np.ascontiguousarray(_f32(x))
    y = np.empty(x.shape, _F32)
    xf, yf = x.reshape(-1), y.reshape(-1)
    _planes(xf.size, xf.size, lambda lo, hi: _relu_range(xf, yf, lo, hi))
    return y, 0


def relu6(x):
    return np.clip(_f32(x), _F32(0), _F32(6)), 0


def gelu(x):
    """Exact GELU: 0.5*x*(1 + erf(x/sqrt(2)))."""
    x = _f32(x)
    xf = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(xf.shape, dtype=_F32)
    _gelu_kernel(xf, out)
    return out.reshape(x.shape), 0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) in float32.  For x < ~-88, exp(-x) overflows to inf
    and the result is exactly 0, the correct float32 limit (the overflow is
    expected and silenced); no cancellation occurs anywhere."""
    y = np.negative(x)
    with np.errstate(over="ignore"):
        np.exp(y, out=y)
    y += _F32(1.0)
    np.reciprocal(y, out=y)
    return y


def gelu_tanh(x):
    """tanh-approximated GELU: 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))),
    evaluated as x*sigmoid(2*sqrt(2/pi)*(x + 0.044715*x^3)) (identical:
    (1 + tanh(z))/2 == sigmoid(2z)), which avoids the slower np.tanh."""
    x = _f32(x)
    z = x * x
    z *= _F32(0.044715)
    z += _F32(1.0)
    z *= x
    z *= _F32(2.0 * math.sqrt(2.0 / math.pi))
    y = _sigmoid(z)
    y *= x
    return y, 0


def sigmoid(x):
    return _sigmoid(_f32(x)), 0


def silu(x):
    x = _f32(x)
    y = _sigmoid(x)
    y *= x
    return y, 0


def hardsigmoid(x):
    """relu6(x + 3) / 6 (PyTorch definition)."""
    x = _f32(x)
    y = x + _F32(3.0)
    np.clip(y, _F32(0), _F32(6), out=y)
    y /= _F32(6.0)
    return y, 0


def hardswish(x):
    """x * relu6(x + 3) / 6."""
    x = _f32(x)
    y = x + _F32(3.0)
    np.clip(y, _F32(0), _F32(6), out=y)
    y *= x
    y /= _F32(6.0)
    return y, 0


def tanh(x):
    return np.tanh(_f32(x)), 0


def softmax(x):
    """Softmax over axis 1 (channels / features)."""
    x = _f32(x)
    if x.ndim < 2:
        raise ValueError(f"softmax expects (N, C, ...), got {x.shape}")
    y = x - x.max(axis=1, keepdims=True)
    np.exp(y, out=y)
    y /= y.sum(axis=1, keepdims=True)
    return y, 0


# --------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", nogil=True)
def _maxpool_planes(x3, y3, kh, kw, sh, sw, pt, pl, dh, dw, lo, hi):  # pragma: no cover - numba
    """Max pooling of the planes lo..hi-1 of x3 (P, H, W) into y3 (P, Ho, Wo): each output is the
    max over its window's taps inside the input (the padding is -inf: never selected; a window
    wholly outside stays -inf); a NaN in a window gives NaN (as np.maximum and torch). Per output
    row, tap by tap over the columns whose tap is inside the row (a unit-stride output loop)."""
    h = x3.shape[1]
    wd = x3.shape[2]
    ho = y3.shape[1]
    wo = y3.shape[2]
    ninf = np.float32(-np.inf)
    for p in range(lo, hi):
        xp = x3[p]
        for oy in range(ho):
            orow = y3[p, oy]
            for ox in range(wo):
                orow[ox] = ninf
            for ky in range(kh):
                r = oy * sh - pt + ky * dh
                if r < 0 or r >= h:
                    continue
                xr = xp[r]
                for kx in range(kw):
                    c0 = kx * dw - pl  # input column of output 0's tap
                    a = 0 if c0 >= 0 else (-c0 + sw - 1) // sw  # first output whose tap is inside
                    b = min(wo, (wd - 1 - c0) // sw + 1) if wd - 1 - c0 >= 0 else 0
                    if b <= a:
                        continue
                    src = xr[c0 + a * sw:c0 + (b - 1) * sw + 1:sw]  # slices: xr[i] over range(a, b)
                    dst = orow[a:b]  # would not vectorise (i might be negative)
                    for i in range(src.shape[0]):
                        v = src[i]
                        m = dst[i]
                        dst[i] = v if (v > m or v != v) else m
    return 0


def maxpool2d(x, kernel, stride=None, padding=(0, 0, 0, 0), dilation=(1, 1), ceil_mode=False):
    """Max pooling; padded positions are -inf (never selected). One Numba pass per plane
    (:func:`_maxpool_planes`), the (sample, channel) planes split over the run's kernel threads."""
    x = _f32(x)
    if x.ndim != 4:
        raise ValueError(f"maxpool2d expects NCHW, got {x.shape}")
    kh, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    dh, dw = _pair(dilation)
    pt, pb, pl, pr = _pad4(padding)
    H, W = x.shape[2:]
    ho = _window_out(H, kh, sh, pt, pb, dh, ceil_mode)
    wo = _window_out(W, kw, sw, pl, pr, dw, ceil_mode)
    n, c = x.shape[:2]
    y = np.empty((n, c, ho, wo), _F32)
    x3, y3 = np.ascontiguousarray(x).reshape(n * c, H, W), y.reshape(n * c, ho, wo)
    _planes(n * c, x.size + y.size * kh * kw,
            lambda lo, hi: _maxpool_planes(x3, y3, kh, kw, sh, sw, pt, pl, dh, dw, lo, hi))
    return y, 0


def avgpool2d(x, kernel, stride=None, padding=(0, 0, 0, 0), count_include_pad=True):
    """Average pooling over zero-padded input.  count_include_pad=True divides
    by kh*kw; False divides by the number of real (non-pad) taps."""
    x = _f32(x)
    if x.ndim != 4:
        raise ValueError(f"avgpool2d expects NCHW, got {x.shape}")
    kh, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    pt, pb, pl, pr = _pad4(padding)
    N, C, H, W = x.shape
    ho = _window_out(H, kh, sh, pt, pb, 1)
    wo = _window_out(W, kw, sw, pl, pr, 1)
    xp = _pad_hw(x, pt, pb, pl, pr)
    y = np.zeros((N, C, ho, wo), dtype=_F32)
    for ky in range(kh):
        for kx in range(kw):
            y += _strided_tap(xp, ky, kx, ho, wo, sh, sw)
    if count_include_pad:
        y /= _F32(kh * kw)
    else:
        mask = np.zeros((H + pt + pb, W + pl + pr), dtype=_F32)
        mask[pt : pt + H, pl : pl + W] = 1.0
        cnt = np.zeros((ho, wo), dtype=_F32)
        for ky in range(kh):
            for kx in range(kw):
                cnt += _strided_tap(mask, ky, kx, ho, wo, sh, sw)
        y /= cnt
    return y, 0


def global_avgpool(x):
    """Mean over H, W -> (N, C, 1, 1)."""
    x = _f32(x)
    if x.ndim != 4:
        raise ValueError(f"global_avgpool expects NCHW, got {x.shape}")
    return x.mean(axis=(2, 3), keepdims=True, dtype=np.float64).astype(_F32), 0


# --------------------------------------------------------------------------
# elementwise / structural
# --------------------------------------------------------------------------
def add(*xs):
    """Elementwise sum of two or more same-shape tensors (broadcasting allowed)."""
    if len(xs) == 1 and isinstance(xs[0], (list, tuple)):
        xs = tuple(xs[0])
    if not xs:
        raise ValueError("add needs at least one input")
    arrs = [_f32(a) for a in xs]
    if len(arrs) == 1:
        return arrs[0].copy(), 0
    if all(a.shape == arrs[0].shape and a.flags.c_contiguous for a in arrs):
        # the common case (a residual add): flat ranges split over the run's kernel threads
        y = np.empty(arrs[0].shape, _F32)
        flat, yf = [a.reshape(-1) for a in arrs], y.reshape(-1)

        def part(lo: int, hi: int) -> None:
            np.add(flat[0][lo:hi], flat[1][lo:hi], out=yf[lo:hi])
            for a in flat[2:]:
                np.add(yf[lo:hi], a[lo:hi], out=yf[lo:hi])

        _planes(yf.size, yf.size * (len(arrs) - 1), part)
        return y, 0
    y = arrs[0] + arrs[1]
    for a in arrs[2:]:
        y += a
    return y, 0


def concat(xs):
    """Concatenate along the channel axis (1)."""
    xs = [_f32(a) for a in xs]
    if not xs:
        raise ValueError("concat needs at least one input")
    return np.concatenate(xs, axis=1), 0


def mul(a, b):
    """Elementwise product with broadcasting (e.g. an (N,C,1,1) gate over
    (N,C,H,W), in either argument order)."""
    return _f32(a) * _f32(b), 0


def flatten(x):
    """(N, C, H, W) -> (N, C*H*W), always a copy."""
    x = _f32(x)
    return np.array(x.reshape(x.shape[0], -1), dtype=_F32, copy=True), 0


def layer_scale(x, gamma):
    """Per-channel scale (axis 1)."""
    x = _f32(x)
    return x * _f32(gamma).reshape(_chan_shape(x)), 0


def _adaptive_starts(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive-pool regions ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def adaptive_pool2d(x, output_size, mode="avg"):
    """Adaptive average / max pooling to ``output_size`` (oh, ow); 0 MACs."""
    x = _f32(x)
    n, c, h, w = x.shape
    oh, ow = _pair(output_size)
    out = np.empty((n, c, oh, ow), _F32)
    rows, cols = _adaptive_starts(h, oh), _adaptive_starts(w, ow)
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            region = x[:, :, r0:r1, c0:c1]
            out[:, :, i, j] = region.mean(axis=(2, 3), dtype=np.float64) if mode == "avg" else region.max(axis=(2, 3))
    return out, 0


def chunk(x, start: int, stop: int):
    """Channels ``start:stop`` (a piece of ``torch.chunk``), copied; 0 MACs."""
    return np.ascontiguousarray(_f32(x)[:, start:stop]).copy(), 0


def channel_shuffle(x, groups: int):
    """ShuffleNet's channel shuffle: (g, C/g) -> (C/g, g); 0 MACs."""
    x = _f32(x)
    n, c = x.shape[:2]
    rest = x.shape[2:]
    y = x.reshape((n, groups, c // groups) + rest).swapaxes(1, 2).reshape(x.shape)
    return np.ascontiguousarray(y).copy(), 0


def mean_hw(x, keepdim=False):
    """Mean over H and W; 0 MACs."""
    y = _f32(x).mean(axis=(2, 3), keepdims=bool(keepdim), dtype=np.float64).astype(_F32)
    return y, 0


def conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
    """Transposed convolution; ``w`` is ``(C_in, C_out/g, kh, kw)``. MACs from the products issued.

    Every kernel tap is one matrix product ``(N*H*W, C_in/g) @ (C_in/g, C_out/g)`` per group,
    scattered into the (uncropped) output at ``i*s + tap*d``; padding is then cropped.
    """
    x = _f32(x)
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation)
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    out = np.zeros((n, cog * groups, full_h, full_w), _F32)
    cig = cin // groups
    macs = 0
    rows = x.transpose(0, 2, 3, 1).reshape(n * h * wd, cin)
    for g in range(groups):
        a = np.ascontiguousarray(rows[:, g * cig:(g + 1) * cig])
        for i in range(kh):
            for j in range(kw):
                y, m = _matmul(a, np.ascontiguousarray(w[g * cig:(g + 1) * cig, :, i, j]))
                macs += m
                y = y.reshape(n, h, wd, cog).transpose(0, 3, 1, 2)
                out[:, g * cog:(g + 1) * cog, i * dh:i * dh + (h - 1) * sh + 1:sh, j * dw:j * dw + (wd - 1) * sw + 1:sw] += y
    out = np.ascontiguousarray(out[:, :, ph:full_h - ph if ph else full_h, pw:full_w - pw if pw else full_w])
    # output_padding rows/cols beyond the cropped extent: PyTorch's size is (H-1)s - 2p + d(k-1) + op + 1
    if b is not None:
        out += _f32(b).reshape(1, -1, 1, 1)
    return out, macs


def _bilinear_axis(size_in: int, size_out: int, scale: float, align_corners: bool):
    dst = np.arange(size_out, dtype=np.float64)
    if align_corners:
        src = dst * ((size_in - 1) / (size_out - 1)) if size_out > 1 else np.zeros_like(dst)
    else:
        src = np.maximum((dst + 0.5) / scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    i1 = np.minimum(i0 + 1, size_in - 1)
    lam = (src - i0).astype(_F32)
    return i0, i1, lam


def upsample(x, factor: int, mode: str = "nearest", align_corners: bool = False):
    """Integer-factor nearest or bilinear upsampling (PyTorch's index rules); 0 MACs."""
    x = _f32(x)
    if mode == "nearest":
        return np.ascontiguousarray(x.repeat(factor, axis=2).repeat(factor, axis=3)), 0
    _, _, h, w = x.shape
    r0, r1, ry = _bilinear_axis(h, h * factor, float(factor), align_corners)
    c0, c1, cx = _bilinear_axis(w, w * factor, float(factor), align_corners)
    top = x[:, :, r0, :] * (1 - ry)[:, None] + x[:, :, r1, :] * ry[:, None]
    y = top[:, :, :, c0] * (1 - cx) + top[:, :, :, c1] * cx
    return np.ascontiguousarray(y, dtype=_F32), 0


def pad(x, left: int, top: int, right: int, bottom: int, value: float = 0.0):
    """Constant padding of H and W; 0 MACs."""
    x = _f32(x)
    y = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=_F32(value))
    return np.ascontiguousarray(y), 0
