"""Exporters: a spec as something else (PyTorch source and modules)."""
