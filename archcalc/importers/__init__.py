"""Importers: a model from another framework (PyTorch, ONNX) as an archcalc spec.

An importer produces spec *data* and hands it to :mod:`archcalc.spec` (which validates
it like a file); a graph whose nodes arrive out of order is sorted with
:func:`archcalc.graph.topological_order`. Importers never import the cost model, the
API, the reports, the executor or the CLI (import-linter contracts in pyproject.toml).
"""
