"""Import ONNX files (skipped without onnx; the exported-model case also needs torch).

A hand-built graph (onnx.helper) checks the operator mapping field by field; a
torchvision ResNet-18 exported by torch.onnx (which folds BN into the convs in eval mode)
must give FlopCounterMode's MACs of the original module, and params equal to the ONNX
file's weight tensors.
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper

from archcalc.api import analyze
from archcalc.errors import SpecError
from archcalc.importers.onnx_import import onnx_text
from archcalc.spec.loader import load_text


def _init(name, *shape):
    return numpy_helper.from_array(np.random.default_rng(0).standard_normal(shape).astype(np.float32), name)


def _model(path, extra_node=None):
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="stem/conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", "g", "be", "m", "v"], ["n1"], name="stem/bn", epsilon=1e-3),
        helper.make_node("Clip", ["n1", "lo", "hi"], ["r1"], name="stem/relu6"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="dw", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8),
        helper.make_node("Add", ["c2", "r1"], ["s"], name="add"),
        helper.make_node("GlobalAveragePool", ["s"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], name="fc", transB=1),
    ]
    if extra_node is not None:
        nodes.insert(5, extra_node)
    inits = [_init("w1", 8, 3, 3, 3), _init("b1", 8), _init("g", 8), _init("be", 8), _init("m", 8), _init("v", 8),
             _init("w2", 8, 1, 3, 3), _init("wf", 10, 8), _init("bf", 10),
             numpy_helper.from_array(np.array(0, np.float32), "lo"), numpy_helper.from_array(np.array(6, np.float32), "hi")]
    g = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def test_helper_built_graph_maps_every_node(tmp_path):
    path = tmp_path / "tiny.onnx"
    _model(path)
    text, cap = onnx_text(path)
    a = analyze(load_text(text, "tiny.yaml"))
    ops = [(lay.name, lay.op) for lay in a.layers]
    assert ops == [("stem_conv", "conv2d"), ("stem_bn", "batchnorm"), ("stem_relu6", "relu6"), ("dw", "conv2d"),
                   ("add", "add"), ("pool", "global_avgpool"), ("flatten", "flatten"), ("fc", "linear")]
    # stem: 16x16x8 outputs x 27 taps; depthwise: 16x16x8 x 9; fc: 8 x 10
    assert a.totals["macs"] == 16 * 16 * 8 * 27 + 16 * 16 * 8 * 9 + 80
    assert cap.params_total == a.totals["params"] == (8 * 27 + 8) + 16 + 8 * 9 + 90
    assert a.network.layers[1].op.eps == pytest.approx(1e-3)


def test_unmapped_operators_are_listed(tmp_path):
    path = tmp_path / "odd.onnx"
    _model(path, helper.make_node("Elu", ["s"], ["s2"], name="odd"))
    with pytest.raises(SpecError, match=r"Elu x1 \(first at odd\)"):
        onnx_text(path)


def test_torch_exported_resnet18(tmp_path):
    torch = pytest.importorskip("torch")
    tvm = pytest.importorskip("torchvision.models")
    import warnings

    m = tvm.resnet18().eval()
    path = tmp_path / "r18.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m, (torch.zeros(1, 3, 64, 64),), str(path), dynamo=False)
    text, cap = onnx_text(path)
    a = analyze(load_text(text, "r18.yaml"))
    assert a.totals["macs"] == 148557824  # FlopCounterMode / 2 of torchvision resnet18 at 64 px
    # the exporter folds each BN into its conv: conv weights + one bias per output channel, and fc
    convs = [mod for mod in m.modules() if isinstance(mod, torch.nn.Conv2d)]
    folded = sum(c.weight.numel() + c.out_channels for c in convs) + m.fc.weight.numel() + m.fc.bias.numel()
    assert a.totals["params"] == cap.params_total == folded


def test_display_name_may_contain_dots():
    """A spec's display name is not a layer name ('ResNet v1.5', an ONNX file's path)."""
    text = 'name: "ResNet v1.5"\ninput: [3, 8, 8]\nlayers:\n  - {op: relu}\n'
    assert load_text(text, "x.yaml").spec.name == "ResNet v1.5"
