"""torchvision CNNs and small modules through ONNX (torch marker; skipped without torch/onnx).

Each module is exported with ``torch.onnx.export`` (the TorchScript exporter, keeping
BatchNormalization; archcalc/bridge_onnx.py) and imported from the file. The imported spec's
params must equal ``sum(p.numel())`` of the modules the forward calls (and the file's weights),
its MACs ``FlopCounterMode``/2 of the module, every conv/linear layer its module's; with
``execute`` the executor on the file's initializers reproduces the module's output to 1e-3 of
its largest magnitude (measured 6e-8 (shufflenet_v2_x0_5) to 1.4e-6 (efficientnet_b0)).
The whole torchvision list: ``benchmarks/torchvision_bridge.py --onnx``.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
tvm = pytest.importorskip("torchvision.models")
pytest.importorskip("onnx")
pytest.importorskip("onnxscript")  # torch.onnx needs it

import torch.nn as nn
import torch.nn.functional as F

from archcalc.bridge_onnx import onnx_bridge_check

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]



def _assert_exact(r):
    assert r["params_ok"], r
    assert r["macs_ok"], r
    assert r["layers_ok"], r["bad_layers"]
    if "exec_ok" in r:
        assert r["exec_ok"], r


# (model, resolution, opset, execute): every operator the importer maps from a torchvision export
CASES = [
    ("resnet18", 64, None, True),
    ("convnext_tiny", 64, 17, True),            # LayerNormalization, Erf-GELU, Transpose/MatMul, layer scale
    ("convnext_tiny", 64, None, False),         # opset 20: the Gelu operator
    ("shufflenet_v2_x0_5", 64, None, True),     # Slice halves, channel shuffle Reshape/Transpose/Reshape
    ("mobilenet_v3_small", 64, None, True),     # HardSigmoid SE, HardSwish
    ("efficientnet_b0", 64, None, True),        # SiLU as Sigmoid * x, sigmoid SE
    ("densenet121", 64, None, False),
    ("squeezenet1_0", 64, None, False),
    ("googlenet", 64, None, False),             # aux heads are not exported: off-path params
    ("alexnet", 224, None, False),              # adaptive pool: the exporter needs 6x6 features here
    ("regnet_y_400mf", 64, None, False),
]


@pytest.mark.parametrize("name,res,opset,execute", CASES, ids=[f"{c[0]}-opset{c[2] or 'default'}" for c in CASES])
def test_torchvision_through_onnx_is_exact(name, res, opset, execute):
    torch.manual_seed(0)
    kw = {"init_weights": False} if name == "googlenet" else {}
    m = tvm.get_model(name, weights=None, **kw)
    r = onnx_bridge_check(m, (3, res, res), opset=opset, execute=execute)
    _assert_exact(r)
    if name == "googlenet":
        assert r["off_path"] == sum(p.numel() for k in ("aux1", "aux2") for p in getattr(m, k).parameters()) > 0
    else:
        assert r["params"] == r["torch_params"]


class Decoder(nn.Module):
    """A conv, constant F.pad, grouped ConvTranspose2d, BN, upsampling, mean, linear."""

    def __init__(self, mode, align_corners=None):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.bn = nn.BatchNorm2d(6)
        kw = {} if mode == "nearest" else {"align_corners": align_corners}
        self.up2 = nn.Upsample(scale_factor=2, mode=mode, **kw)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        x = F.pad(self.conv(x), (1, 2, 0, 3), value=0.25)
        x = self.up2(torch.relu(self.bn(self.up1(x))))
        return self.fc(x.mean((2, 3)))


@pytest.mark.parametrize("opset", [11, None])
@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_pad_conv_transpose_and_resize_modules(mode, align, opset):
    torch.manual_seed(0)
    m = Decoder(mode, align)
    with torch.no_grad():
        m.bn.running_mean.uniform_(-0.1, 0.1)
        m.bn.running_var.uniform_(0.5, 1.5)
    r = onnx_bridge_check(m, (3, 9, 7), opset=opset, execute=True)
    _assert_exact(r)
    # conv 9*7*8*27; transposed conv: every input element of the 12x10 padded map x 3 * 9 taps; fc 6*5
    assert r["macs"] == 9 * 7 * 8 * 27 + 8 * 12 * 10 * 3 * 9 + 30
    assert r["params"] == (8 * 27 + 8) + (8 * 3 * 9 + 6) + 12 + (30 + 5)


@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", True)])
def test_dynamo_exporter(mode, align):
    """torch.onnx.export(dynamo=True, optimize=False): BN kept, bias-free convs get a computed zero
    bias (Shape -> Expand -> CastLike), module paths from the nodes' name_scopes metadata."""
    torch.manual_seed(0)
    r = onnx_bridge_check(Decoder(mode, align), (3, 9, 7), exporter="dynamo", execute=True)
    _assert_exact(r)
    assert r["params"] == (8 * 27 + 8) + (8 * 3 * 9 + 6) + 12 + (30 + 5)


def test_dynamo_exporter_bias_free_convs():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 3))
    r = onnx_bridge_check(m, (3, 7, 7), exporter="dynamo", execute=True)
    _assert_exact(r)
    assert r["params"] == 4 * 27 + 8 + 100 * 3 + 3
