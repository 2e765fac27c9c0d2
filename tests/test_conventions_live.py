"""Live: run the real tools (torch venv) on two torchvision models and check the presets.

Skips cleanly without torch, torchvision, fvcore, ptflops, thop or torchinfo.  Run with
``PYTHONPATH=. /work/venv-torch/bin/python -m pytest tests/test_conventions_live.py -q``
(about 75 s on 2 cores: every tool traces or hooks each model once; marker ``peers``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

for mod in ("torch", "torchvision", "fvcore", "ptflops", "thop", "torchinfo"):
    pytest.importorskip(mod)

from archcalc.api import analyze  # noqa: E402
from archcalc.conventions import layer_counts  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "measure_peers", Path(__file__).resolve().parents[1] / "tools" / "measure_peers.py")
peers = importlib.util.module_from_spec(_spec)
sys.modules["measure_peers"] = peers
_spec.loader.exec_module(peers)

RUNNERS = {"fvcore": peers.run_fvcore, "ptflops": peers.run_ptflops,
           "ptflops-aten": lambda m, x: peers.run_ptflops(m, x, "aten"), "thop": peers.run_thop,
           "torchinfo": peers.run_torchinfo, "flopcounter": peers.run_flopcounter}


@pytest.mark.peers
@pytest.mark.parametrize("builder,spec,variant,res", [("resnet18", "resnet", "18", 224),
                                                      ("mobilenet_v2", "mobilenet_v2", None, 160)])
def test_presets_equal_the_tools_run_now(builder, spec, variant, res):
    import torch
    import torchvision.models as tvm

    a = analyze(spec, variant=variant, resolution=res)
    x = torch.randn(1, 3, res, res)
    for tool, run in RUNNERS.items():
        model = getattr(tvm, builder)(weights=None).eval()
        with torch.no_grad():
            got = run(model, x)["total"]
        assert sum(layer_counts(tool, a.network, a.layers)) == got, tool
