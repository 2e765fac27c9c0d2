"""Import from PyTorch (skipped without torch/torchvision; marker ``torch``).

A representative subset of torchvision's CNNs at 64 px (the whole list runs in
benchmarks/torchvision_bridge.py): the imported spec's params (+ off-path params) equal
``sum(p.numel())``, its MACs equal ``FlopCounterMode``/2 on the original module, every
conv/linear layer agrees with its module, and the exported module loads the original
state_dict strictly and reproduces its output (see archcalc/bridge_check.py).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
tvm = pytest.importorskip("torchvision.models")

from archcalc.api import analyze
from archcalc.errors import SpecError
from archcalc.importers import from_torch
from archcalc.bridge_check import bridge_check

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]

SUBSET = ["resnet18", "mobilenet_v2", "densenet121", "mobilenet_v3_small", "shufflenet_v2_x0_5",
          "efficientnet_b0", "squeezenet1_1", "googlenet", "regnet_y_400mf", "convnext_tiny", "mnasnet0_5"]



@pytest.mark.parametrize("name", SUBSET)
def test_torchvision_import_is_exact_and_round_trips(name):
    torch.manual_seed(0)
    r = bridge_check(tvm.get_model(name, weights=None), (3, 64, 64))
    assert r["params_ok"], r
    assert r["macs_ok"], r
    assert r["layers_ok"], r["bad_layers"]
    assert r["round_trip_ok"], r


def test_layer_names_are_module_paths_and_vars_are_declared():
    loaded = from_torch(tvm.resnet50(), (3, 64, 64))
    assert set(loaded.spec.vars) == {"resolution", "classes"}
    a = analyze(loaded, vars={"resolution": 96, "classes": 10})
    names = {lay.name for lay in a.layers}
    assert {"conv1", "layer1.0.conv1", "layer4.2.bn3", "fc"} <= names
    assert a.layers[-1].output == (10,)
    assert a.totals["macs"] > 0


def test_aux_heads_are_reported_off_path():
    m = tvm.googlenet(weights=None, aux_logits=True, init_weights=False)
    loaded = from_torch(m, (3, 64, 64))
    cap = loaded.imported
    assert set(cap.off_path) == {"aux1", "aux2"}
    aux = sum(p.numel() for n, p in m.named_parameters() if n.startswith(("aux1.", "aux2.")))
    assert sum(cap.off_path.values()) == aux
    a = analyze(loaded)
    params = a.totals["params"]
    assert params + aux == sum(p.numel() for p in m.parameters())
    assert any("off the inference path" in n for n in loaded.spec.notes)


def test_unmapped_types_are_one_error_with_counts_and_first_path():
    class Odd(torch.nn.Module):
        def forward(self, x):
            return x

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ELU(), torch.nn.Conv2d(8, 8, 3), torch.nn.ELU(),
                              torch.nn.PixelShuffle(2))
    with pytest.raises(SpecError) as e:
        from_torch(net, (3, 16, 16))
    msg = str(e.value)
    assert "torch.nn.modules.activation.ELU x2 (first at 1)" in msg
    assert "PixelShuffle x1 (first at 4)" in msg
    assert "\n" not in msg


def test_import_cli_writes_a_spec_that_costs(tmp_path):
    from archcalc.cli import main

    out = tmp_path / "r18.yaml"
    with pytest.raises(SystemExit) as e:
        main(["import", "torchvision:resnet18", "-o", str(out), "--input", "3x64x64"])
    assert e.value.code in (0, None)
    a = analyze(str(out))
    assert a.totals["macs"] == 148557824  # torchvision resnet18 at 64 px: FlopCounterMode / 2
    with pytest.raises(SystemExit) as e:
        main(["import", "torchvision:resnet19", "-o", str(tmp_path / "x.yaml")])
    assert e.value.code == 2 and not (tmp_path / "x.yaml").exists()


def test_own_factory_with_args(tmp_path):
    (tmp_path / "mymodels.py").write_text(
        "import torch.nn as nn\n"
        "def build_net(width=16, classes=10):\n"
        "    return nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),\n"
        "                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, classes))\n")
    from archcalc.importers import build_module, torch_text

    m = build_module(f"{tmp_path / 'mymodels.py'}:build_net", {"width": 24})
    text, cap = torch_text(m, (3, 32, 32))
    assert cap.params_total == 3 * 24 * 9 + 24 + 48 + 24 * 10 + 10
    assert "out_channels: 24" in text


@pytest.mark.parametrize("name", ["resnet50d", "efficientnet_b0", "tf_efficientnet_b0", "mobilenetv3_large_100",
                                  "regnety_002", "convnext_atto", "convnext_tiny", "rexnet_100", "ghostnet_100"])
def test_timm_import_is_exact_and_round_trips(name):
    """timm's own layers: BatchNormAct2d, SqueezeExcite, DropPath, Conv2dSame (tf_*), avg-pool shortcuts;
    ConvNeXt's gamma stored as [C] (layer_scale vector: true) and timm's LayerNorm (convnext_tiny's
    channel-last MLP); channel slices x[:, a:b] (RexNet's partial shortcut, GhostNet's
    out[:, :out_chs]) as channel_slice and GhostNet's empty Sequential shortcut."""
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    r = bridge_check(timm.create_model(name, pretrained=False), (3, 64, 64))
    assert r["params_ok"] and r["macs_ok"] and r["layers_ok"], r
    assert r["round_trip_ok"], r


class _UpNet(torch.nn.Module):
    """A U-Net-like decoder: transposed conv, upsampling, padding and a skip concat."""

    def __init__(self):
        super().__init__()
        self.down = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.up = torch.nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)
        self.up2 = torch.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.pad = torch.nn.ZeroPad2d((1, 0, 0, 1))
        self.head = torch.nn.Conv2d(7, 2, 1)

    def forward(self, x):
        y = self.up(torch.relu(self.down(x)))
        y = torch.cat([y, x], 1)
        y = self.up2(y)
        y = torch.nn.functional.interpolate(y, scale_factor=2, mode="nearest")
        return self.head(self.pad(torch.nn.functional.pad(y, (0, 1, 1, 0))))


def test_decoder_ops_import_exactly_and_round_trip():
    r = bridge_check(_UpNet(), (3, 16, 16))
    assert r["params_ok"] and r["macs_ok"] and r["layers_ok"] and r["round_trip_ok"], r


def test_resnet50_reads_like_the_bundled_spec():
    """Repeat folding: layer1..layer4 are calls of one stage block (a repeat of a projecting
    bottleneck then n - 1 plain ones); the layer names are still the module paths, the counts
    exact and the round trip strict."""
    from archcalc.importers import torch_text

    torch.manual_seed(0)
    m = tvm.resnet50()
    text, _ = torch_text(m, (3, 64, 64))
    assert len(text.splitlines()) <= 60  # 88 lines before folding
    assert "- repeat: n" in text
    for name, n in (("layer1", 3), ("layer2", 4), ("layer3", 6), ("layer4", 3)):
        assert f'{{block: stage, name: "{name}", n: {n}' in text
    r = bridge_check(m, (3, 64, 64))
    assert r["params_ok"] and r["macs_ok"] and r["layers_ok"] and r["round_trip_ok"], r


def test_regnet_stages_fold_with_their_dashed_names():
    from archcalc.importers import torch_text

    torch.manual_seed(0)
    m = tvm.regnet_x_400mf()
    text, _ = torch_text(m, (3, 64, 64))
    assert 'name: "block4-"' in text and len(text.splitlines()) < 100  # 492 lines before
    names = {lay.name for lay in analyze(from_torch(m, (3, 64, 64))).layers}
    assert {n.rsplit(".", 1)[0] for n, _ in m.named_parameters()} <= names  # module paths
    r = bridge_check(m, (3, 64, 64))
    assert r["round_trip_ok"] and r["layers_ok"], r
