"""Compare the static model with an execution, layer by layer.

The static side is an :class:`archcalc.api.Analysis` (computed by the cost
model); the executed side is a :class:`archcalc.executor.run.Run`. This module
only reads both and compares — it derives no count itself.

Per layer: output shape (per sample), MACs, activation elements (whole batch),
parameters by kind (``weights``, ``biases``, ``norm_affine``, ``other``) and,
separately, BN ``buffers`` (running statistics are not parameters: "params"
means the same here as in ``archcalc cost``). In total: parameters by kind,
buffers and the peak live activation bytes at fp32 (DESIGN.md, "Peak memory").

>>> r = validate("mobilenet", resolution=32)
>>> r.ok, r.peak["predicted"] == r.peak["measured"]
(True, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from archcalc.api import Analysis, analyze, load, resolve
from archcalc.executor.run import ExecutionError, Executor, LayerRun
from archcalc.spec.expr import evaluate


@dataclass
class LayerCheck:
    """Static vs executed figures of one layer."""

    name: str
    op: str
    static_shape: list
    executed_shape: list | None
    static_macs: int
    counted_macs: int | None
    static_activations: int
    observed_activations: int | None
    static_params: dict[str, int]
    allocated_params: dict[str, int] | None
    static_buffers: int = 0
    allocated_buffers: int | None = None
    error: str | None = None

    @property
    def differences(self) -> list[str]:
        """What disagrees, in words (empty when the layer agrees)."""
        if self.error:
            return [self.error]
        if self.executed_shape is None:
            return ["not executed (the executor stopped at another layer)"]
        pairs = (("shape", self.static_shape, self.executed_shape),
                 ("MACs", self.static_macs, self.counted_macs),
                 ("activations", self.static_activations, self.observed_activations),
                 ("params", self.static_params, self.allocated_params),
                 ("buffers", self.static_buffers, self.allocated_buffers))
        return [f"{what}: static {s} vs executed {e}" for what, s, e in pairs if s != e]

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op,
                "static_shape": self.static_shape, "executed_shape": self.executed_shape,
                "static_macs": self.static_macs, "counted_macs": self.counted_macs,
                "static_activations": self.static_activations,
                "observed_activations": self.observed_activations,
                "static_params": self.static_params, "allocated_params": self.allocated_params,
                "static_buffers": self.static_buffers, "allocated_buffers": self.allocated_buffers,
                "ok": self.ok, "differences": self.differences}


@dataclass
class Report:
    """The verdict of one validation: per-layer checks, totals and peak memory."""

    model: str
    variant: str | None
    vars: dict[str, Any]
    input: list
    batch: int
    layers: list[LayerCheck]
    params: dict[str, dict[str, int]]  # "static" / "allocated" -> params by kind (no buffers)
    peak: dict[str, Any]
    seconds: float
    error: str | None = None
    extra: dict = field(default_factory=dict)
    buffers: dict[str, int | None] = field(default_factory=dict)  # "static" / "allocated" -> BN buffer elements

    @property
    def total_params(self) -> int:
        """The static parameter count: the same number as ``archcalc cost``'s params (no buffers)."""
        return sum(self.params["static"].values())

    @property
    def first_mismatch(self) -> LayerCheck | None:
        """The first layer that ran and differs, or failed (layers that never ran are skipped)."""
        return next((c for c in self.layers if not c.ok and (c.error or c.executed_shape is not None)),
                    next((c for c in self.layers if not c.ok), None))

    @property
    def ok(self) -> bool:
        return (self.error is None and self.first_mismatch is None
                and self.params["static"] == self.params["allocated"]
                and self.buffers.get("static") == self.buffers.get("allocated")
                and self.peak["predicted"] == self.peak["measured"])

    def summary(self) -> str:
        """One line: the verdict and, if any, the first difference."""
        bad = self.first_mismatch
        if self.ok:
            return f"OK: all {len(self.layers)} layers agree; peak, params and buffers agree"
        if bad is not None:
            return f"MISMATCH at layer '{bad.name}' ({bad.op}): {'; '.join(bad.differences)}"
        if self.error:
            return f"MISMATCH: {self.error}"
        if self.params["static"] != self.params["allocated"]:
            return f"MISMATCH: params static {self.params['static']} vs allocated {self.params['allocated']}"
        if self.buffers.get("static") != self.buffers.get("allocated"):
            return f"MISMATCH: buffers static {self.buffers.get('static')} vs allocated {self.buffers.get('allocated')}"
        return f"MISMATCH: peak activation bytes predicted {self.peak['predicted']} vs measured {self.peak['measured']}"

    def to_dict(self) -> dict[str, Any]:
        bad = self.first_mismatch
        return {"ok": self.ok, "model": self.model, "variant": self.variant, "vars": self.vars,
                "input": self.input, "batch": self.batch, "dtype": "fp32",
                "first_mismatch": bad.name if bad else None, "summary": self.summary(),
                "error": self.error, "seconds": round(self.seconds, 4),
                "layers": [c.to_dict() for c in self.layers],
                "params": self.params, "total_params": self.total_params, "buffers": self.buffers,
                "peak_activation_bytes": self.peak}


def _nonzero(d: dict) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(d.items()) if v}


def _params(d: dict) -> dict[str, int]:
    """Allocated parameters by kind, without the BN buffers (counted on their own)."""
    return _nonzero({k: v for k, v in d.items() if k != "buffers"})


def check_layers(a: Analysis, done: list[LayerRun], failure: ExecutionError | None = None) -> list[LayerCheck]:
    """One :class:`LayerCheck` per static layer; layers that did not run have ``None`` figures."""
    ran = {r.name: r for r in done}
    checks = []
    for c in a.layers:
        r = ran.get(c.name)
        checks.append(LayerCheck(
            c.name, c.op, list(c.output), list(r.shape) if r else None, int(c.macs),
            r.macs if r else None, int(c.activations), r.elements if r else None,
            _nonzero(c.params_by_kind), _params(r.params_by_kind) if r else None,
            int(c.buffers), int(r.params_by_kind.get("buffers", 0)) if r else None,
            error=str(failure) if failure is not None and failure.layer == c.name else None,
        ))
    return checks


def compare(a: Analysis, seed: int = 0) -> Report:
    """Execute ``a.network`` at ``a.batch`` (fp32) and compare it with the static analysis ``a``."""
    t0 = time.perf_counter()
    static_total = _nonzero(a.totals["params_by_kind"])
    failure = None
    try:
        run = Executor(a.network, seed, keep_weights=False).run(batch=int(a.batch))
        done, measured, measured_at = run.layers, run.peak_bytes, run.peak_at
    except ExecutionError as e:
        failure, done, measured, measured_at = e, e.done, None, None
    allocated: dict[str, int] = {}
    for r in done:
        for kind, n in r.params_by_kind.items():
            allocated[kind] = allocated.get(kind, 0) + n
    net = a.network
    return Report(
        net.name, net.variant, {k: _plain(v) for k, v in net.vars.items()}, list(net.input_shape),
        int(a.batch), check_layers(a, done, failure),
        {"static": static_total, "allocated": _params(allocated)},
        {"predicted": int(a.totals["peak_activation_bytes"]), "measured": measured,
         "predicted_at": a.totals["peak_at"], "measured_at": measured_at},
        time.perf_counter() - t0, None if failure is None else str(failure),
        buffers={"static": int(a.totals["buffers"]), "allocated": int(allocated.get("buffers", 0))},
    )


def _plain(v: Any) -> Any:
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return str(v)


def validate(spec, variant: str | None = None, vars: dict[str, Any] | None = None,
             resolution: Any = None, batch: int = 1, seed: int = 0) -> Report:
    """Analyze ``spec`` at a point (fp32), execute it on seeded random weights and compare."""
    a = analyze(spec, variant=variant, vars=vars, resolution=resolution, batch=batch, dtype="fp32")
    return compare(a, seed)


def configurations(spec) -> list[str | None]:
    """The points ``--all`` validates for one spec: the base vars (when no default variant) and every variant."""
    s = load(spec).spec
    names: list[str | None] = [str(v) for v in s.variants]
    return names if s.default_variant is not None else [None] + names


def native_resolution(spec, variant: str | None = None) -> Any:
    """The input height the spec builds at by default (224 for ImageNet nets, 32 for CIFAR)."""
    loaded = load(spec)
    point = resolve(loaded, variant)
    return evaluate(point.input[1], point.vars)
