"""archcalc: exact and symbolic cost analysis of convolutional network architectures.

>>> import archcalc
>>> a = archcalc.analyze("mobilenet", vars={"alpha": "3/4"})
>>> a.totals["macs"], a.totals["params_by_kind"]["weights"]
(325400448, 2568144)

The API is ``load`` (a spec file or bundled name -> validated spec) and
``analyze`` (-> ``Analysis`` with ``.totals``, ``.layers``, ``.by_op``,
``.to_json()``, ``.table(fmt)``); ``from_torch(module, input_shape)`` and
``to_torch(spec, variant=..., **vars)`` bridge to PyTorch (docs/bridges.md). Importing ``archcalc`` itself is cheap; the
API modules load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load", "analyze", "from_torch", "to_torch", "__version__"]


def __getattr__(name: str):
    if name in ("load", "analyze"):
        from archcalc import api

        return getattr(api, name)
    if name == "from_torch":
        from archcalc.importers import from_torch

        return from_torch
    if name == "to_torch":
        from archcalc.exporters.torch_module import to_torch

        return to_torch
    raise AttributeError(f"module 'archcalc' has no attribute {name!r}")
