"""Compare the static model with an execution, layer by layer (above both ``api`` and ``executor``).

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archcalc.api import Analysis, analyze, load, resolve
from archcalc.errors import LimitError, SpecError
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


def compare(a: Analysis, seed: int = 0, weights: dict | None = None, threads: int | None = None) -> Report:
    """Execute ``a.network`` at ``a.batch`` (fp32) and compare it with the static analysis ``a``;
    ``weights`` (a state_dict of arrays, archcalc.executor.weights) replaces the random ones;
    ``threads``: the executor's kernel threads (None: every available core)."""
    t0 = time.perf_counter()
    static_total = _nonzero(a.totals["params_by_kind"])
    failure = None
    try:
        ex = Executor(a.network, seed, keep_weights=False, threads=threads)
        if weights is not None:
            from archcalc.executor.weights import load_into

            load_into(ex, weights)
        run = ex.run(batch=int(a.batch))
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


#: default executor limits (docs/output.md, "Executor limits"); ``--max-macs`` / ``--max-bytes`` change them
MAX_MACS = 100 * 10**9
MAX_BYTES = 4 * 2**30
_SUFFIX = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


def parse_limit(text: str | int | None, setting: str) -> int | None:
    """A limit (``setting``: ``max_macs`` or ``max_bytes``, the name its errors give it): ``100G``,
    ``4Gi``, ``1e12``, ``123`` or ``none`` (no limit).

    >>> parse_limit("4Gi", "max_bytes"), parse_limit("2.5G", "max_macs"), parse_limit("none", "max_macs")
    (4294967296, 2500000000, None)
    """
    import re
    from fractions import Fraction

    field = "{" + setting + "}"  # (a field of the error's form: the front end spells the setting)

    if text is None or isinstance(text, int) and not isinstance(text, bool):
        if text is not None and text < 1:
            raise LimitError.naming(field + " must be at least 1, got {text}", setting, text=text)
        return text
    t = str(text).strip().lower().removesuffix("b")
    if t in ("none", "inf", "unlimited"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d*)?(?:e\d{1,2})?)\s*(ki|mi|gi|ti|k|m|g|t)?", t)
    if not m:
        raise LimitError.naming(field + ": expected a count like 100G, 4Gi, 1e12 or 'none', got '{text}'", setting,
                                text=text)
    value = int(Fraction(m.group(1)) * _SUFFIX.get(m.group(2) or "", 1))
    if value < 1:
        raise LimitError.naming(field + " must be at least 1, got '{text}'", setting, text=text)
    return value


def estimated_bytes(a: Analysis) -> tuple[int, str]:
    """Memory the executor needs for ``a``, estimated from the static model before running.

    The predicted peak of live activations (fp32, whole batch, the input included)
    plus, for the most demanding layer, its parameters and buffers at fp32 and the
    scratch of a convolution: the im2col matrix of a general conv
    (``MACs * groups / out_channels`` elements), the padded input copy of a depthwise
    one (archcalc.executor.kernels.conv2d). Returns the bytes and the name of that layer.
    """
    batch = int(a.batch)
    worst, at = 0, "-"
    for lay, c in zip(a.network.layers, a.layers):
        extra = 4 * (int(c.params) + int(c.buffers))
        op = lay.op
        if getattr(op, "op", None) == "conv2d" and lay.in_shapes:
            c_in = int(lay.in_shapes[0][0])
            groups, c_out = int(getattr(op, "groups", 1) or 1), int(op.out_channels)
            if groups == c_in and groups > 1:  # depthwise: a padded copy of the input
                _, h, w = (int(d) for d in lay.in_shapes[0])
                k = op.kernel_size if isinstance(op.kernel_size, (list, tuple)) else (op.kernel_size,) * 2
                extra += 4 * batch * c_in * (h + int(k[0])) * (w + int(k[-1]))
            else:  # im2col (an upper bound for the 1x1 convs that skip it)
                extra += 4 * int(c.macs) * groups // max(c_out, 1)
        if extra > worst:
            worst, at = extra, c.name
    return int(a.totals["peak_activation_bytes"]) + worst, at


def check_limits(a: Analysis, max_macs: int | None = MAX_MACS, max_bytes: int | None = MAX_BYTES) -> None:
    """Refuse (:class:`LimitError`) an execution over the MAC or memory limit, before allocating anything."""
    from archcalc.report.tables import human, human_bytes

    macs = int(a.totals["macs"])
    if max_macs is not None and macs > max_macs:
        raise LimitError.naming("executing this point would take {macs} MACs ({human}), over the limit "
                                "of {limit} ({human_limit}); lower {resolution}/{batch} or raise {max_macs}",
                                "resolution", "batch", "max_macs", macs=macs, human=human(macs),
                                limit=max_macs, human_limit=human(max_macs))
    if max_bytes is not None:
        need, at = estimated_bytes(a)
        if need > max_bytes:
            raise LimitError.naming("executing this point needs about {need} bytes ({human}: peak activations "
                                    "plus layer '{at}'), over the limit of {limit} ({human_limit}); lower "
                                    "{resolution}/{batch} or raise {max_bytes}", "resolution", "batch", "max_bytes",
                                    need=need, human=human_bytes(need), at=at, limit=max_bytes,
                                    human_limit=human_bytes(max_bytes))


def validate(spec, variant: str | None = None, vars: dict[str, Any] | None = None,
             resolution: Any = None, batch: int = 1, seed: int = 0,
             max_macs: int | None = MAX_MACS, max_bytes: int | None = MAX_BYTES, weights: Any = None,
             threads: int | None = None) -> Report:
    """Analyze ``spec`` at a point (fp32), execute it on seeded random (or given) weights and compare.

    The point is checked against ``max_macs`` and ``max_bytes`` (None: no limit)
    before anything is allocated (:func:`check_limits`). ``weights``: a state_dict of
    arrays, a ``.pt``/``.safetensors`` path (archcalc.executor.weights) or the ``.onnx`` file the
    spec was imported from (its initializers, archcalc.importers.onnx_import.onnx_weights).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SpecError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    a = analyze(spec, variant=variant, vars=vars, resolution=resolution, batch=batch, dtype="fp32")
    check_limits(a, max_macs, max_bytes)
    if weights is not None and not isinstance(weights, dict) and str(weights).endswith(".onnx"):
        from pathlib import Path

        from archcalc.importers.onnx_import import onnx_weights

        if not Path(weights).is_file():
            raise SpecError(f"no weights file '{weights}'")
        weights = onnx_weights(weights)  # the initializers of the file the spec was imported from
    if weights is not None and not isinstance(weights, dict):
        from archcalc.executor.weights import read

        weights = read(weights)
    return compare(a, seed, weights, threads)


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


def capped(asked: Any, native: Any) -> Any:
    """``--resolution`` capped by a spec's native input height (each of H, W for ``HxW``)."""
    if isinstance(asked, tuple):
        return tuple(min(d, native) for d in asked)
    return min(asked, native)


@dataclass
class Outcome:
    """One configuration of :func:`validate_all`: its report, or the error that stopped it."""

    spec: str  #: the spec's file stem
    variant: str | None
    report: Report | None
    error: str | None = None

    @property
    def name(self) -> str:
        return f"{self.spec} {self.variant or ''}".rstrip()


def all_configurations() -> list[tuple[Any, str, str | None]]:
    """``(loaded spec, file stem, variant)`` of every bundled configuration, each spec loaded once."""
    from archcalc.spec import loader

    runs = []
    for path in loader.bundled_specs():
        spec = load(path)
        runs.extend((spec, path.stem, variant) for variant in configurations(spec))
    return runs


def validate_all(resolution: Any = None, batch: int = 1, vars: dict[str, Any] | None = None, seed: int = 0,
                 max_macs: int | None = MAX_MACS, max_bytes: int | None = MAX_BYTES, jobs: int | None = None,
                 done: Callable[[Outcome], None] | None = None, runs: list | None = None,
                 spell: Callable[[str], str] | None = None) -> list[Outcome]:
    """Validate every bundled configuration (``runs``, default :func:`all_configurations`), in order.

    ``resolution`` (a number or an ``(H, W)`` tuple) is capped by each spec's native input.
    ``jobs`` configurations run at a time in forked worker
    processes (None: one per available core; 1: in this process), each executor then on
    one kernel thread; ``done(outcome)`` is called in this process as each one finishes
    (in completion order; the returned list is in document order). An error is kept as its
    message, rendered with ``spell`` (ArchcalcError.render; the CLI passes its flag names) when
    given. Reports are the same
    whatever ``jobs`` is, timings aside.
    """
    from archcalc.errors import ArchcalcError
    from archcalc.workers import cores, fork_map

    runs = all_configurations() if runs is None else runs
    jobs = max(1, min(cores() if jobs is None else int(jobs), len(runs)))
    threads = 1 if jobs > 1 else None  # each worker's executor on one kernel thread

    def one(run: tuple) -> Outcome:
        loaded, stem, variant = run
        try:
            res = None if resolution is None else capped(resolution, native_resolution(loaded, variant))
            r = validate(loaded, variant, vars, res, batch, seed, max_macs=max_macs, max_bytes=max_bytes,
                         threads=threads)
            return Outcome(stem, variant, r)
        except ArchcalcError as e:
            return Outcome(stem, variant, None, str(e) if spell is None else e.render(spell))

    return fork_map(one, runs, jobs, None if done is None else (lambda i, outcome: done(outcome)))
