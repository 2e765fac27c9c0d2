"""Pytest configuration shared by the test suite and the doctests of the package."""

import importlib.util

# Modules that need an optional extra are not collected for doctests without it.
collect_ignore = []
if importlib.util.find_spec("torch") is None:
    collect_ignore.append("archcalc/exporters/torch_ref.py")
    collect_ignore.append("archcalc/importers/torch_fx.py")


import pytest  # noqa: E402


@pytest.fixture
def torch_one_thread():
    """PyTorch at one intra-op thread for the test (the machines are shared; spinning OpenMP
    threads slow both cores). Used by the torch test modules through ``usefixtures``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
