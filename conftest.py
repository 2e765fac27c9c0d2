"""Pytest configuration shared by the test suite and the doctests of the package."""

import importlib.util

# Modules that need an optional extra are not collected for doctests without it.
collect_ignore = []
if importlib.util.find_spec("torch") is None:
    collect_ignore.append("archcalc/exporters/torch_ref.py")
    collect_ignore.append("archcalc/importers/torch_fx.py")
