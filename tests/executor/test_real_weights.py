"""The executor with a PyTorch model's real weights reproduces the model's output (torch marker).

An imported torchvision network (archcalc.from_torch) runs in the reference executor with
the module's own ``state_dict`` (archcalc.executor.weights); its output must equal the
module's eval-mode output to 1e-3 of the output's largest magnitude (float32 both sides,
different summation orders; measured 3.0e-7 (shufflenet_v2_x0_5) to 1.2e-6 (convnext_tiny)
relative to the largest output at 64 px, batch 2).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tvm = pytest.importorskip("torchvision.models")

from archcalc.api import analyze
from archcalc.errors import SpecError
from archcalc.executor.run import Executor
from archcalc.executor.weights import load_into, read
from archcalc.importers import from_torch

pytestmark = pytest.mark.torch


def _state(m):
    return {k: v.detach().numpy() for k, v in m.state_dict().items()}


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "shufflenet_v2_x0_5", "convnext_tiny"])
def test_executor_with_real_weights_matches_pytorch(name):
    torch.manual_seed(0)
    m = tvm.get_model(name, weights=None).eval()
    with torch.no_grad():  # non-trivial BN statistics, so the buffers matter
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    net = analyze(from_torch(m, (3, 64, 64))).network
    ex = Executor(net, seed=0)
    load_into(ex, _state(m))
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    y = ex.run(x).output
    with torch.no_grad():
        ref = m(torch.from_numpy(x)).numpy()
    scale = float(np.abs(ref).max())
    assert y.shape == ref.shape
    assert float(np.abs(y - ref).max()) <= 1e-3 * scale


def test_weights_are_strict(tmp_path):
    m = tvm.resnet18()
    net = analyze(from_torch(m, (3, 32, 32))).network
    state = _state(m)
    state.pop("layer1.0.conv1.weight")
    state["extra.weight"] = np.zeros(3, np.float32)
    with pytest.raises(SpecError, match="1 missing \\(layer1.0.conv1.weight\\); 1 not used by the spec \\(extra.weight\\)"):
        load_into(Executor(net), state)


def test_validate_cli_with_weights_file(tmp_path):
    from archcalc.cli import main
    from archcalc.importers import torch_text

    m = tvm.resnet18()
    text, _ = torch_text(m, (3, 32, 32))
    (tmp_path / "r18.yaml").write_text(text)
    torch.save(m.state_dict(), tmp_path / "r18.pt")
    assert set(read(tmp_path / "r18.pt")) == set(m.state_dict())
    with pytest.raises(SystemExit) as e:
        main(["validate", str(tmp_path / "r18.yaml"), "--weights", str(tmp_path / "r18.pt"), "--summary"])
    assert e.value.code in (0, None)
    with pytest.raises(SystemExit) as e:
        main(["validate", str(tmp_path / "r18.yaml"), "--weights", str(tmp_path / "nope.pt")])
    assert e.value.code == 2
