"""The reference executor: runs a spec's layer graph forward in NumPy/Numba.

Importing this package imports numba (via :mod:`archcalc.executor.kernels`);
only ``archcalc validate`` and the tests do, never ``archcalc cost``.

* :mod:`~archcalc.executor.kernels` — the kernels; each counts its own MACs;
* :mod:`~archcalc.executor.dispatch` — op class -> kernel, seeded weights counted by kind;
* :mod:`~archcalc.executor.run` — :class:`Executor`: the forward pass, liveness-based
  freeing and the measured peak;
* :mod:`~archcalc.executor.threads` — OpenBLAS thread count for a run;
* :mod:`~archcalc.executor.torch_ref` — the same graph in PyTorch (optional oracle);
* :mod:`~archcalc.executor.validate` — static model vs execution, layer by layer.
"""

from archcalc.executor.dispatch import KERNELS
from archcalc.executor.run import ExecutionError, Executor, Run
from archcalc.executor.validate import Report, validate

__all__ = ["KERNELS", "ExecutionError", "Executor", "Report", "Run", "validate"]
