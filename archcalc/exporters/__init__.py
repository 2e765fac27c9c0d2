"""Exporters: a built network in another framework's terms.

* :mod:`~archcalc.exporters.torch_ref` — the same graph as ``torch.nn.functional`` calls
  on the executor's weights (optional, needs PyTorch): an output oracle and a benchmark baseline.
* :mod:`~archcalc.exporters.torch_module` — a spec as PyTorch source (one ``nn.Module`` class
  per spec block, spec names as attributes) and :func:`~archcalc.exporters.torch_module.to_torch`.

An exporter reads a :class:`~archcalc.graph.Network` and the ops; it never imports the cost
model, the API, the reports or the CLI (import-linter contracts in pyproject.toml).
"""
