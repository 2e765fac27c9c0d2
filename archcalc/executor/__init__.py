"""The reference executor: runs a spec's layer graph forward in NumPy/Numba.

Importing this package imports numba (via :mod:`archcalc.executor.kernels`);
only ``archcalc validate`` and the tests do, never ``archcalc cost``.

* :mod:`~archcalc.executor.kernels` — the kernels; each counts its own MACs;
* :mod:`~archcalc.executor.dispatch` — op class -> kernel, seeded weights counted by kind;
* :mod:`~archcalc.executor.run` — :class:`Executor`: the forward pass, liveness-based
  freeing and the measured peak;
* :mod:`~archcalc.executor.threads` — OpenBLAS thread count for a run;
* :mod:`~archcalc.exporters.torch_ref` — the same graph in PyTorch (optional oracle).

The executor is an independent derivation: it never imports the cost model
(``cost``, ``api``); :mod:`archcalc.validate`, above both, compares the two.
"""

from archcalc.executor.dispatch import KERNELS
from archcalc.executor.run import ExecutionError, Executor, Run

__all__ = ["KERNELS", "ExecutionError", "Executor", "Run"]
