"""The reference executor: runs a spec's layer graph forward in NumPy/Numba.

Importing this package imports numba (via :mod:`archcalc.executor.kernels`);
only ``archcalc validate`` and the tests do, never ``archcalc cost``.

* :mod:`~archcalc.executor.kernels` — the kernels; each counts its own MACs;
* :mod:`~archcalc.executor.run` — :class:`Executor`: dispatch by op class,
  seeded weights, liveness-based freeing and the measured peak;
* :mod:`~archcalc.executor.validate` — static model vs execution, layer by layer.
"""

from archcalc.executor.run import KERNELS, Executor, ExecutionError, Run
from archcalc.executor.validate import Report, validate

__all__ = ["KERNELS", "Executor", "ExecutionError", "Run", "Report", "validate"]
