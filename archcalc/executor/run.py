"""Run a built network forward on the CPU, counting what really happens.

:class:`Executor` walks ``Network.layers`` in document (topological) order on
random float32 weights and records, per layer, the executed output shape, the
multiply-accumulates the kernels counted, the elements written, the parameter
arrays allocated (by kind) and the bytes of activation memory held.

Independence: nothing here calls the static cost formulas (``op.macs``,
``op.params``, ``op.flops``, ``archcalc.cost``). Weights are shaped from the
op's resolved fields and the *arrays actually received* (input channels are
``x.shape[1]``, never ``Layer.in_shapes``); MACs come from the kernels' own
loop bounds and matmul dimensions (archcalc.executor.kernels).

Memory (DESIGN.md, "Peak memory"): a tensor is held from the step that produces
it until its last consumer has run (a reference count of pending consumers, not
the static model's last-use table); the input counts; nothing is reused in
place. At each step the executor sums the ``nbytes`` of the distinct buffers
it holds, the step's own output included; the peak is the largest such sum.

Dispatch by op class and weight creation live in :mod:`archcalc.executor.dispatch`.

>>> from archcalc.api import analyze
>>> run = Executor(analyze("mobilenet", resolution=32).network).run()
>>> run.layers[0].shape, run.layers[0].macs
((32, 16, 16), 221184)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archcalc.executor.alloc import keep_freed_memory
from archcalc.executor.dispatch import KERNELS, Kernel, Params
from archcalc.executor.threads import available_cores, blas_threads, kernel_threads
from archcalc.graph import INPUT, Network
from archcalc.ops import Op

_F32 = np.float32


@dataclass
class LayerRun:
    """What executing one layer did (whole batch; ``shape`` per sample)."""

    name: str
    op: str
    shape: tuple
    macs: int
    elements: int
    params_by_kind: dict[str, int]
    live_bytes: int


@dataclass
class Run:
    """One forward pass: per-layer records, peak held activation bytes, the output."""

    layers: list[LayerRun]
    peak_bytes: int
    peak_at: str
    output: np.ndarray
    input_bytes: int

    def params_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for lay in self.layers:
            for kind, n in lay.params_by_kind.items():
                out[kind] = out.get(kind, 0) + n
        return out


class ExecutionError(Exception):
    """A kernel failed on a layer the static model accepted."""

    def __init__(self, layer: str, op: str, cause: Exception, done: list[LayerRun]):
        super().__init__(f"{op} '{layer}': the executor failed: {cause}")
        self.layer = layer
        self.done = done  #: records of the layers that ran before the failure


def held_bytes(arrays) -> int:
    """Bytes of the distinct buffers behind ``arrays`` (a view counts its base once)."""
    owners = {}
    for a in arrays:
        while isinstance(a.base, np.ndarray):
            a = a.base
        owners[id(a)] = a.nbytes
    return sum(owners.values())


class Executor:
    """A network with seeded random weights, made on the first run and reused after."""

    def __init__(self, net: Network, seed: int = 0, kernels: dict[type[Op], Kernel] | None = None,
                 threads: int | None = None, keep_weights: bool = True):
        self.net = net
        self.keep_weights = keep_weights  #: False: drop each layer's weights after its step (one-shot runs)
        self.seed = seed
        #: kernel threads during a run (None: every available core); OpenBLAS runs single-threaded
        #: (archcalc.executor.threads explains why)
        self.threads = available_cores() if threads is None else int(threads)
        self.kernels = KERNELS if kernels is None else kernels
        for lay in net.layers:
            if type(lay.op) not in self.kernels:
                raise ExecutionError(lay.name, lay.op.op, LookupError(
                    f"no executor kernel for {type(lay.op).__name__}; register one in archcalc/executor/dispatch.py (archcalc.executor.dispatch.kernel)"), [])
        self.params = [Params(np.random.default_rng([seed, i])) for i in range(len(net.layers))]

    def input(self, batch: int = 1) -> np.ndarray:
        """A seeded standard-normal input batch of the network's input shape."""
        rng = np.random.default_rng([self.seed, 1 << 30])
        return rng.standard_normal((batch,) + tuple(self.net.input_shape), dtype=_F32)

    def run(self, x: np.ndarray | None = None, batch: int = 1) -> Run:
        """Forward ``x`` (default: a seeded input of ``batch`` samples), freeing tensors when dead."""
        x = self.input(batch) if x is None else np.ascontiguousarray(x, dtype=_F32)
        keep_freed_memory()
        with blas_threads(1), kernel_threads(self.threads):
            return self._forward(x)

    def _forward(self, x: np.ndarray) -> Run:
        pending = self.net.consumer_counts()
        live = {INPUT: x}
        peak, peak_at = held_bytes(live.values()), INPUT
        if pending[INPUT] == 0:
            del live[INPUT]
        records, y = [], x
        for lay, params in zip(self.net.layers, self.params):
            try:
                y, macs = self.kernels[type(lay.op)](lay.op, [live[s] for s in lay.inputs], params)
            except (ValueError, IndexError, TypeError, ZeroDivisionError) as e:
                raise ExecutionError(lay.name, lay.op.op, e, records) from e
            live[lay.name] = y
            now = held_bytes(live.values())
            if now > peak:
                peak, peak_at = now, lay.name
            for src in set(lay.inputs) | {lay.name}:
                if src != lay.name:
                    pending[src] -= 1
                if pending[src] == 0:
                    del live[src]
            records.append(LayerRun(lay.name, lay.op.op, tuple(y.shape[1:]), int(macs), int(y.size),
                                    params.by_kind(), now))
            if not self.keep_weights:
                params.arrays.clear()
        return Run(records, peak, peak_at, y, int(x.nbytes))
