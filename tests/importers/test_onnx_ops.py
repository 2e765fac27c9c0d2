"""The ONNX operators beyond the first set, on graphs built with onnx.helper (skipped without onnx).

Each graph is imported, costed, and run twice: by onnx's own reference evaluator
(``onnx.reference.ReferenceEvaluator``, the independent side) and by archcalc's executor on
the file's initializers (``capture.weights``). The outputs must agree to 1e-4 of the output's
largest magnitude (float32 both sides; measured at most 4e-7), and the counts are checked
against the formulas written out in each test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from archcalc.api import analyze
from archcalc.errors import SpecError
from archcalc.executor.run import Executor
from archcalc.executor.weights import load_into
from archcalc.importers.onnx_import import capture_onnx, onnx_text, scope_path
from archcalc.spec.loader import load_text

RNG = np.random.default_rng(0)


def _t(name, *shape, value=None, dtype=np.float32):
    arr = np.asarray(value, dtype) if value is not None else RNG.standard_normal(shape).astype(dtype)
    return numpy_helper.from_array(arr, name)


def _save(path, nodes, inits, in_shape, opset=17, out="y"):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path


def _import_and_run(path, in_shape):
    """(analysis, layers' ops, relative error of the executor against ReferenceEvaluator)."""
    text, cap = onnx_text(path)
    a = analyze(load_text(text, "g.yaml"))
    x = RNG.standard_normal(in_shape).astype(np.float32)
    ref = ReferenceEvaluator(str(path)).run(None, {"x": x})[0]
    ex = Executor(a.network, seed=0)
    load_into(ex, cap.weights)
    y = ex.run(x).output
    assert y.shape == ref.shape
    return a, [lay.op for lay in a.layers], float(np.abs(y - ref).max() / np.abs(ref).max())


def test_conv_transpose(tmp_path):
    # ConvTranspose k3 s2 p1 output_padding 1: 4 -> 6 channels, 5x5 -> 10x10 (groups: the torch test,
    # as onnx's reference ConvTranspose ignores group)
    nodes = [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="up", kernel_shape=[3, 3], strides=[2, 2],
                              pads=[1, 1, 1, 1], output_padding=[1, 1])]
    path = _save(tmp_path / "ct.onnx", nodes, [_t("w", 4, 6, 3, 3), _t("b", 6)], (1, 4, 5, 5))
    a, ops, err = _import_and_run(path, (1, 4, 5, 5))
    assert ops == ["conv_transpose2d"] and a.layers[0].output == (6, 10, 10)
    assert a.totals["params"] == 4 * 6 * 9 + 6
    assert a.totals["macs"] == 4 * 5 * 5 * 6 * 9  # every input element times its C_out/g * k * k taps
    assert err < 1e-4


def test_pad_constant_and_pattern_of_two_pads(tmp_path):
    nodes = [helper.make_node("Pad", ["x", "p", "v"], ["y"], name="pad", mode="constant")]
    pads = [0, 0, 1, 2, 0, 0, 3, 0]  # top 1, left 2, bottom 3, right 0
    path = _save(tmp_path / "pad.onnx", nodes, [_t("p", value=pads, dtype=np.int64), _t("v", value=0.5)], (1, 2, 4, 4))
    a, ops, err = _import_and_run(path, (1, 2, 4, 4))
    assert ops == ["pad"] and a.layers[0].output == (2, 8, 6)
    assert a.network.layers[0].op.padding == [2, 0, 1, 3] and a.network.layers[0].op.value == 0.5
    assert err == 0.0


def test_pad_reflect_is_unmapped(tmp_path):
    nodes = [helper.make_node("Pad", ["x", "p"], ["y"], name="pad", mode="reflect")]
    path = _save(tmp_path / "pad.onnx", nodes, [_t("p", value=[0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64)], (1, 2, 4, 4))
    with pytest.raises(SpecError, match=r"Pad other than constant padding .*mode reflect.* x1 \(first at pad\)"):
        onnx_text(path)


@pytest.mark.parametrize("mode,ctm,nearest,expect", [
    ("nearest", "asymmetric", "floor", ("nearest", False)),
    ("linear", "pytorch_half_pixel", None, ("bilinear", False)),
    ("linear", "half_pixel", None, ("bilinear", False)),
    ("linear", "align_corners", None, ("bilinear", True)),
])
def test_resize(tmp_path, mode, ctm, nearest, expect):
    kw = {"nearest_mode": nearest} if nearest else {}
    nodes = [helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize", mode=mode,
                              coordinate_transformation_mode=ctm, **kw)]
    path = _save(tmp_path / "r.onnx", nodes, [_t("s", value=[1, 1, 3, 3])], (1, 2, 4, 5))
    a, ops, err = _import_and_run(path, (1, 2, 4, 5))
    op = a.network.layers[0].op
    assert ops == ["upsample"] and a.layers[0].output == (2, 12, 15)
    assert (op.mode, op.align_corners, op.scale_factor) == (*expect, 3)
    assert err < 1e-5
    if expect[0] == "bilinear":  # 4 mul and 3 add per output element
        assert a.layers[0].flops_by_kind == {"mul": 4 * 2 * 12 * 15, "add": 3 * 2 * 12 * 15}


def test_resize_by_sizes_and_unsupported_modes(tmp_path):
    nodes = [helper.make_node("Resize", ["x", "", "", "sz"], ["y"], name="resize", mode="nearest",
                              coordinate_transformation_mode="asymmetric", nearest_mode="floor")]
    path = _save(tmp_path / "r.onnx", nodes, [_t("sz", value=[1, 2, 8, 8], dtype=np.int64)], (1, 2, 4, 4))
    a, ops, err = _import_and_run(path, (1, 2, 4, 4))
    assert ops == ["upsample"] and err == 0.0
    nodes = [helper.make_node("Resize", ["x", "", "s"], ["y"], name="cubic", mode="cubic"),
             ]
    path = _save(tmp_path / "c.onnx", nodes, [_t("s", value=[1, 1, 2, 2])], (1, 2, 4, 4))
    with pytest.raises(SpecError, match=r"Resize mode cubic with half_pixel x1 \(first at cubic\)"):
        onnx_text(path)
    path = _save(tmp_path / "f.onnx", [helper.make_node("Resize", ["x", "", "s"], ["y"], name="frac", mode="nearest")],
                 [_t("s", value=[1, 1, 1.5, 1.5])], (1, 2, 4, 4))
    with pytest.raises(SpecError, match="Resize other than an equal integer scale"):
        onnx_text(path)


@pytest.mark.parametrize("half_first", [False, True])
def test_erf_gelu_pattern_is_one_gelu(tmp_path, half_first):
    # torch's nn.GELU() below opset 20: x * 0.5 * (1 + erf(x / sqrt 2)), the two Muls in either order
    tail = ([helper.make_node("Mul", ["a", "half"], ["h"], name="m1"), helper.make_node("Mul", ["x", "h"], ["y"], name="m2")]
            if half_first else
            [helper.make_node("Mul", ["x", "a"], ["h"], name="m1"), helper.make_node("Mul", ["h", "half"], ["y"], name="m2")])
    nodes = [helper.make_node("Div", ["x", "r2"], ["d"], name="gelu/Div"), helper.make_node("Erf", ["d"], ["e"], name="erf"),
             helper.make_node("Add", ["e", "one"], ["a"], name="add")] + tail
    inits = [_t("r2", value=math.sqrt(2)), _t("one", value=1.0), _t("half", value=0.5)]
    path = _save(tmp_path / "gelu.onnx", nodes, inits, (1, 3, 4, 4))
    a, ops, err = _import_and_run(path, (1, 3, 4, 4))
    assert ops == ["gelu"] and a.layers[0].name == "gelu_Div"
    assert a.layers[0].flops_by_kind == {"exp": 48, "add": 48, "mul": 3 * 48}
    assert err < 1e-5


def test_broken_gelu_pattern_is_not_gelu(tmp_path):
    """Add(0.9) instead of Add(1): not GELU, so the Div by a constant is reported, never mapped."""
    nodes = [helper.make_node("Div", ["x", "r2"], ["d"], name="div"), helper.make_node("Erf", ["d"], ["e"], name="erf"),
             helper.make_node("Add", ["e", "one"], ["a"], name="add"), helper.make_node("Mul", ["x", "a"], ["h"], name="m1"),
             helper.make_node("Mul", ["h", "half"], ["y"], name="m2")]
    inits = [_t("r2", value=math.sqrt(2)), _t("one", value=0.9), _t("half", value=0.5)]
    path = _save(tmp_path / "g.onnx", nodes, inits, (1, 3, 4, 4))
    with pytest.raises(SpecError, match=r"1 operator kind\(s\) have no archcalc mapping: Div with a constant x1 \(first at div\)$"):
        onnx_text(path)


def test_split_slice_and_channel_shuffle(tmp_path):
    # ShuffleNetV2's unit: split the channels in halves, a conv on one, concat, shuffle with groups 2;
    # then a Slice of the first half (torch's legacy export of x.chunk(2, 1)[0])
    nodes = [helper.make_node("Split", ["x", "sp"], ["a", "b"], name="split", axis=1),
             helper.make_node("Conv", ["b", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
             helper.make_node("Concat", ["a", "c"], ["cat"], name="cat", axis=1),
             helper.make_node("Reshape", ["cat", "s5"], ["r5"], name="shuffle/r1"),
             helper.make_node("Transpose", ["r5"], ["t5"], name="shuffle/t", perm=[0, 2, 1, 3, 4]),
             helper.make_node("Reshape", ["t5", "s4"], ["sh"], name="shuffle/r2"),
             helper.make_node("Slice", ["sh", "st", "en", "ax"], ["y"], name="slice")]
    inits = [_t("sp", value=[4, 4], dtype=np.int64), _t("w", 4, 4, 1, 1),
             _t("s5", value=[1, 2, 4, 3, 3], dtype=np.int64), _t("s4", value=[1, 8, 3, 3], dtype=np.int64),
             _t("st", value=[0], dtype=np.int64), _t("en", value=[4], dtype=np.int64), _t("ax", value=[1], dtype=np.int64)]
    path = _save(tmp_path / "sh.onnx", nodes, inits, (1, 8, 3, 3))
    a, ops, err = _import_and_run(path, (1, 8, 3, 3))
    assert ops == ["chunk", "chunk", "conv2d", "concat", "channel_shuffle", "chunk"]
    fields = [(lay.op.chunks, lay.op.index) for lay in a.network.layers if lay.op.op == "chunk"]
    assert fields == [(2, 0), (2, 1), (2, 0)]
    assert a.network.layers[4].op.groups == 2
    assert err < 1e-5


def test_unequal_split_is_unmapped(tmp_path):
    nodes = [helper.make_node("Split", ["x", "sp"], ["a", "y"], name="split", axis=1)]
    path = _save(tmp_path / "s.onnx", nodes, [_t("sp", value=[3, 5], dtype=np.int64)], (1, 8, 3, 3))
    with pytest.raises(SpecError, match="Split into channel pieces other than chunk's"):
        onnx_text(path)


def test_channels_last_block_with_layernorm_and_layer_scale(tmp_path):
    # ConvNeXt's block: depthwise conv, permute to NHWC, LayerNorm, Linear (MatMul + Add), GELU,
    # Linear, permute back, layer scale ([C, 1, 1] constant), residual add
    c, e = 4, 16
    nodes = [helper.make_node("Conv", ["x", "dw", "dwb"], ["d"], name="blk/dw", kernel_shape=[3, 3], pads=[1] * 4, group=c),
             helper.make_node("Transpose", ["d"], ["p"], name="blk/perm1", perm=[0, 2, 3, 1]),
             helper.make_node("LayerNormalization", ["p", "g", "be"], ["n"], name="blk/ln", axis=-1, epsilon=1e-6),
             helper.make_node("MatMul", ["n", "w1"], ["m1"], name="blk/fc1"),
             helper.make_node("Add", ["m1", "b1"], ["a1"], name="blk/fc1_bias"),
             helper.make_node("Gelu", ["a1"], ["gl"], name="blk/gelu"),
             helper.make_node("MatMul", ["gl", "w2"], ["m2"], name="blk/fc2"),
             helper.make_node("Add", ["b2", "m2"], ["a2"], name="blk/fc2_bias"),
             helper.make_node("Transpose", ["a2"], ["q"], name="blk/perm2", perm=[0, 3, 1, 2]),
             helper.make_node("Mul", ["ls", "q"], ["s"], name="blk/scale"),
             helper.make_node("Add", ["s", "x"], ["y"], name="blk/add")]
    inits = [_t("dw", c, 1, 3, 3), _t("dwb", c), _t("g", c), _t("be", c), _t("w1", c, e), _t("b1", e),
             _t("w2", e, c), _t("b2", c), _t("ls", c, 1, 1)]
    path = _save(tmp_path / "cn.onnx", nodes, inits, (1, c, 5, 5), opset=20)
    a, ops, err = _import_and_run(path, (1, c, 5, 5))
    assert ops == ["conv2d", "layernorm", "linear", "gelu", "linear", "layer_scale", "add"]
    assert [lay.output for lay in a.layers][1:4] == [(c, 5, 5), (e, 5, 5), (e, 5, 5)]
    assert a.totals["params"] == (c * 9 + c) + 2 * c + (c * e + e) + (e * c + c) + c
    assert a.totals["macs"] == 25 * c * 9 + 2 * 25 * c * e
    assert err < 1e-4


def test_layernorm_over_channels_first_is_unmapped(tmp_path):
    nodes = [helper.make_node("LayerNormalization", ["x", "g", "be"], ["y"], name="ln", axis=1)]
    path = _save(tmp_path / "ln.onnx", nodes, [_t("g", 4, 5, 5), _t("be", 4, 5, 5)], (1, 4, 5, 5))
    with pytest.raises(SpecError, match=r"LayerNormalization not over the channels"):
        onnx_text(path)


def test_shape_chains_are_folded_and_silu_is_one_layer(tmp_path):
    # x.view(x.size(0), -1) as torch's TorchScript exporter writes it, after x * sigmoid(x)
    nodes = [helper.make_node("Sigmoid", ["x"], ["sg"], name="act/Sigmoid"),
             helper.make_node("Mul", ["x", "sg"], ["s"], name="act/Mul"),
             helper.make_node("Shape", ["s"], ["shp"], name="shape"),
             helper.make_node("Constant", [], ["zero"], name="c0", value=_t("z", value=0, dtype=np.int64)),
             helper.make_node("Gather", ["shp", "zero"], ["n"], name="gather", axis=0),
             helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsq"),
             helper.make_node("Concat", ["n1", "minus1"], ["target"], name="cat_shape", axis=0),
             helper.make_node("Reshape", ["s", "target"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], name="fc", transB=1)]
    inits = [_t("ax0", value=[0], dtype=np.int64), _t("minus1", value=[-1], dtype=np.int64), _t("wf", 5, 12), _t("bf", 5)]
    path = _save(tmp_path / "f.onnx", nodes, inits, (1, 3, 2, 2))
    a, ops, err = _import_and_run(path, (1, 3, 2, 2))
    assert ops == ["silu", "flatten", "linear"]
    assert [lay.name for lay in a.layers] == ["act_Sigmoid", "flat", "fc"]
    assert a.totals["params"] == 65 and a.totals["macs"] == 60
    assert err < 1e-5


def test_every_unmapped_kind_is_listed_once_with_count_and_first_node(tmp_path):
    # (the nodes fed by an unmapped one are not reported again: the Adds here)
    nodes = [helper.make_node("Elu", ["x"], ["e1"], name="elu1"), helper.make_node("Elu", ["x"], ["e2"], name="elu2"),
             helper.make_node("Transpose", ["x"], ["t"], name="odd_perm", perm=[0, 1, 3, 2]),
             helper.make_node("Add", ["e1", "e2"], ["s"], name="add1"), helper.make_node("Add", ["s", "t"], ["y"], name="add2")]
    path = _save(tmp_path / "u.onnx", nodes, [], (1, 3, 4, 4))
    with pytest.raises(SpecError) as e:
        onnx_text(path)
    msg = str(e.value)
    assert "2 operator kind(s)" in msg and "Elu x2 (first at elu1)" in msg and "Transpose [0, 1, 3, 2] x1 (first at odd_perm)" in msg
    assert "\n" not in msg


def test_scope_paths_of_torch_node_names():
    assert scope_path("/layer1/layer1.0/conv1/Conv") == "layer1.0.conv1"
    assert scope_path("/features/features.1/features.1.0/block/block.0/block.0.0/Conv") == "features.1.0.block.0.0"
    assert scope_path("/stage2/stage2.0/branch2/branch2.0/Conv") == "stage2.0.branch2.0"
    assert scope_path("/fc/Gemm") == "fc" and scope_path("Conv_3") == ""


def test_cli_import_and_validate_with_onnx_weights(tmp_path, capsys):
    from archcalc.cli import main

    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="/stem/conv/Conv", kernel_shape=[3, 3], pads=[1] * 4),
             helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["n"], name="/stem/bn/BatchNormalization"),
             helper.make_node("Relu", ["n"], ["r"], name="/stem/act/Relu"),
             helper.make_node("GlobalAveragePool", ["r"], ["p"], name="/pool/GlobalAveragePool"),
             helper.make_node("Flatten", ["p"], ["f"], name="/Flatten"),
             helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], name="/fc/Gemm", transB=1)]
    inits = [_t("w", 4, 3, 3, 3), _t("b", 4), _t("g", 4), _t("be", 4), _t("m", 4),
             _t("v", value=RNG.uniform(0.5, 1.5, 4)), _t("wf", 7, 4), _t("bf", 7)]
    path = _save(tmp_path / "m.onnx", nodes, inits, (1, 3, 8, 8))
    out = tmp_path / "m.yaml"
    with pytest.raises(SystemExit) as e:
        main(["import", str(path), "-o", str(out)])
    assert e.value.code in (0, None)
    assert capture_onnx(path).weights.keys() == {"stem_conv_Conv.weight", "stem_conv_Conv.bias", "stem_bn_BatchNormalization.weight",
                                                 "stem_bn_BatchNormalization.bias", "stem_bn_BatchNormalization.running_mean",
                                                 "stem_bn_BatchNormalization.running_var", "fc_Gemm.weight", "fc_Gemm.bias"}
    with pytest.raises(SystemExit) as e:
        main(["validate", str(out), "--weights", str(path), "--summary"])
    assert e.value.code in (0, None)
    # an unmapped file: exit 2, one line, nothing written
    bad = _save(tmp_path / "bad.onnx", [helper.make_node("Elu", ["x"], ["y"], name="e")], [], (1, 3, 8, 8))
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["import", str(bad), "-o", str(tmp_path / "bad.yaml")])
    assert e.value.code == 2 and not (tmp_path / "bad.yaml").exists()
    err = capsys.readouterr().err.strip()
    assert "Elu x1 (first at e)" in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_huge_constant_is_not_folded(tmp_path):
    """ConstantOfShape of 10^15 elements: refused by the folding bound, then reported, never allocated."""
    nodes = [helper.make_node("ConstantOfShape", ["big"], ["k"], name="huge"),
             helper.make_node("Add", ["x", "k"], ["y"], name="add")]
    path = _save(tmp_path / "h.onnx", nodes, [_t("big", value=[100000] * 3, dtype=np.int64)], (1, 3, 4, 4))
    with pytest.raises(SpecError, match=r"1 operator kind\(s\) have no archcalc mapping: ConstantOfShape without a tensor input x1 \(first at huge\)$"):
        onnx_text(path)


@pytest.mark.parametrize("content,message", [
    (b"\x00\x01garbage", "not a readable ONNX model"),
    (None, "expected one image input, found 2"),
])
def test_bad_files_are_one_line_errors(tmp_path, capsys, content, message):
    from archcalc.cli import main

    path = tmp_path / "bad.onnx"
    if content is not None:
        path.write_bytes(content)
    else:
        g = helper.make_graph([helper.make_node("Add", ["x", "z"], ["y"], name="add")], "g",
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 3, 4, 4]) for n in ("x", "z")],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        onnx.save(helper.make_model(g), str(path))
    with pytest.raises(SystemExit) as e:
        main(["import", str(path), "-o", str(tmp_path / "out.yaml")])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out.yaml").exists()
