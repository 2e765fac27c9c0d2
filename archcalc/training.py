"""Training cost: backward MACs and FLOPs per layer, activations saved for backward, training memory.

Rules (docs/conventions.md, "Training"), written once per op and valid on ints and
sympy expressions alike:

* **MACs.** A conv or linear layer's backward pass is two products of the forward
  pass's size: the weight gradient (``F`` MACs, ``groups`` respected: each weight
  gradient element sums ``batch x H_out x W_out`` products of one group's input)
  and the input gradient (``F`` MACs; not computed for a layer whose input is the
  network input, unless ``input_grad``). ``training.macs`` = forward + backward.
* **FLOPs** = ``2 x`` training MACs + the backward elementwise work by kind (bias
  gradient sums, norm, activation, pooling and SE-gate gradients, :data:`BACKWARD`)
  + the forward's elementwise work.
* **Saved activations** follow PyTorch eager autograd (what each op saves for its
  backward, a storage counted once however many ops save it; parameters and BN
  running buffers excluded; the input included): conv/linear save their input;
  batch norm its input and per-channel fp32 mean and inverse std; ReLU, sigmoid,
  tanh and softmax their output; ReLU6, hard-swish, hard-sigmoid, SiLU and GELU
  their input (in place, PyTorch saves a copy of it); max-pool its input and int64
  indices; average pooling its input; global average pooling nothing (it is a mean);
  ``mul`` both inputs; dropout its mask at the activation dtype; add, concat, flatten
  nothing. Checked exactly against ``torch.autograd.graph.saved_tensors_hooks``.
* **Memory.** parameters, gradients and optimizer state by dtype; with fp16/bf16
  mixed precision the parameters are kept in fp32 (master) and in the dtype, and
  gradients and optimizer state are fp32. Peak estimate: parameters + gradients +
  optimizer state + saved activations + the largest layer's output and its
  gradient (the live working set at the start of the backward pass).

>>> from archcalc.api import analyze
>>> t = training_cost(analyze("mobilenet", vars={"alpha": "0.25"}))
>>> t.totals["macs"] == 3 * 41030272 - t.layers[0].forward_macs
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archcalc.errors import SpecError
from archcalc.memory import DTYPE_BYTES, OPTIMIZERS  # (OPTIMIZERS re-exported)
from archcalc.ops.base import numel

#: bytes of the statistics and indices PyTorch saves whatever the activation dtype
STAT_BYTES, INDEX_BYTES = 4, 8

#: op name -> backward rule: (op, in_shapes, out_shape) -> per-sample elementwise FLOPs by kind
BACKWARD: dict[str, Callable[..., dict[str, Any]]] = {}
#: op name -> saved-tensor rule: (op, in_shapes, out_shape) -> list of what it saves (see :func:`saved`)
SAVED: dict[str, Callable[..., list[tuple]]] = {}
#: ops whose output is a view of (shares the storage of) their first input
VIEWS = {"flatten", "identity", "chunk", "channel_slice"}


def rule(*names: str, saves: Callable[..., list[tuple]] | None = None):
    """Register a backward FLOP rule (and the saved-tensor rule) for op names; twice is an error."""
    def register(fn):
        for n in names:
            if n in BACKWARD:
                raise ValueError(f"training rule for op '{n}' registered twice")
            BACKWARD[n] = fn
            SAVED[n] = saves or (lambda op, ins, out: [])
        return fn
    return register


def _input(op, ins, out):
    return [("in", 0)]


def _output(op, ins, out):
    return [("out",)]


def _none(op, ins, out):
    return []


def _per(**kinds: int) -> Callable[..., dict[str, Any]]:
    """A rule of ``kinds`` FLOPs per output element."""
    def f(op, ins, out):
        n = numel(out)
        return {k: v * n for k, v in kinds.items()}
    return f


# ------------------------------------------------------------------ rules --
@rule("conv2d", "linear", "conv_transpose2d", saves=_input)
def _bias_grad(op, ins, out):
    """Bias gradient: a sum over positions, one add per output element."""
    return {"add": numel(out)} if getattr(op, "bias", False) else {}


rule("batchnorm", saves=lambda op, ins, out: [("in", 0), ("stat", 2 * ins[0][0], False)])(_per(mul=4, add=5))
rule("layernorm", saves=lambda op, ins, out: [("in", 0), ("stat", 2 * numel(out) // out[0], True)])(
    _per(mul=4, add=5))
rule("groupnorm", saves=lambda op, ins, out: [("in", 0), ("stat", 2 * op.num_groups, True)])(_per(mul=4, add=5))
rule("relu", saves=_output)(_per(compare=1))
rule("relu6", saves=_input)(_per(compare=2))
rule("sigmoid", saves=_output)(_per(mul=2, add=1))
rule("tanh", saves=_output)(_per(mul=2, add=1))
rule("softmax", saves=_output)(_per(mul=2, add=2))
rule("silu", "swish", saves=_input)(_per(exp=1, div=1, mul=3, add=2))
rule("gelu", saves=_input)(_per(exp=1, mul=5, add=2))
rule("hardswish", saves=_input)(_per(compare=2, mul=2, add=1))
rule("hardsigmoid", saves=_input)(_per(compare=2, mul=1))


@rule("maxpool", saves=lambda op, ins, out: [("in", 0), ("index", numel(out))])
def _maxpool(op, ins, out):
    """Each output gradient is added to its arg-max input position."""
    return {"add": numel(out)}


@rule("avgpool", saves=_input)
def _avgpool(op, ins, out):
    """Each output gradient, divided by the window size, is added to every position of its window."""
    k = op.kernel_size if isinstance(op.kernel_size, (list, tuple)) else (op.kernel_size, op.kernel_size)
    return {"div": numel(out), "add": numel(out) * k[0] * k[1]}


@rule("global_avgpool", saves=_none)
def _gap(op, ins, out):
    """The mean's gradient: one division per channel, broadcast over the positions."""
    return {"div": ins[0][0]}


rule("add", "concat", "flatten", "identity", saves=_none)(lambda op, ins, out: {})
# the importers' data movement: chunk and channel_slice are views (narrow), channel_shuffle a copy;
# no gradient arithmetic
rule("chunk", "channel_slice", "channel_shuffle", saves=_none)(lambda op, ins, out: {})


rule("pad", saves=_none)(lambda op, ins, out: {})


@rule("upsample", saves=_none)
def _upsample(op, ins, out):
    """nearest: each output gradient added to its source; bilinear: 4 mul and 4 add per output element."""
    n = numel(out)
    return {"add": n} if op.mode == "nearest" else {"mul": 4 * n, "add": 4 * n}


@rule("mean", saves=_none)
def _mean(op, ins, out):
    """As global_avgpool: one division per channel, broadcast over the positions."""
    return {"div": ins[0][0]}


@rule("adaptive_avgpool", saves=_input)
def _adaptive_avgpool(op, ins, out):
    """Each output gradient, divided by its region's size, is added to every position of its region."""
    taps, cells = op.taps(ins, out)
    return {"div": numel(out), "add": ins[0][0] * taps}


@rule("adaptive_maxpool", saves=lambda op, ins, out: [("in", 0), ("index", numel(out))])
def _adaptive_maxpool(op, ins, out):
    """Each output gradient is added to its arg-max input position."""
    return {"add": numel(out)}


@rule("mul", saves=lambda op, ins, out: [("in", 0), ("in", 1)])
def _mul(op, ins, out):
    """``d(a*b)``: two products per output element, and a sum over a broadcast input's positions."""
    n = numel(out)
    small = min(numel(s) for s in ins)
    return {"mul": 2 * n, "add": n - small} if len(ins) == 2 else {"mul": len(ins) * n}


def _mask(op, ins, out):
    return [("mask", numel(out))] if op.p != 0 else []


rule("dropout", saves=_mask)(lambda op, ins, out: {"mul": numel(out)} if op.p != 0 else {})
rule("drop_path", saves=lambda op, ins, out: [("mask", 1)] if op.p != 0 else [])(
    lambda op, ins, out: {"mul": numel(out)} if op.p != 0 else {})
rule("layer_scale", saves=_input)(_per(mul=2, add=1))


# ---------------------------------------------------------------- results --
@dataclass
class LayerTraining:
    """Training cost of one layer (per batch)."""

    name: str
    forward_macs: Any
    backward_macs: Any
    flops_by_kind: dict[str, Any]
    saved_bytes: Any  #: bytes of the storages this layer is the first to save
    input_grad: bool

    @property
    def macs(self) -> Any:
        return self.forward_macs + self.backward_macs

    @property
    def flops(self) -> Any:
        return sum(self.flops_by_kind.values())


@dataclass
class Training:
    """Forward + backward cost and training memory of an analysis."""

    layers: list[LayerTraining]
    totals: dict[str, Any] = field(default_factory=dict)


def backward_macs(forward_macs: Any, input_grad: bool = True) -> Any:
    """Backward MACs of a conv or linear layer: the weight gradient, and the input gradient if needed.

    >>> backward_macs(100), backward_macs(100, input_grad=False)
    (200, 100)
    """
    return forward_macs * 2 if input_grad else forward_macs


def _flop_kinds() -> tuple[str, ...]:
    from archcalc.ops import FLOP_KINDS

    return ("mul_add",) + FLOP_KINDS


def training_cost(a: Any, optimizer: str = "sgd", input_grad: bool = False) -> Training:
    """The training cost of analysis ``a`` (its batch and dtype) with ``optimizer``."""
    if optimizer not in OPTIMIZERS:
        raise SpecError(f"unknown optimizer '{optimizer}' (choose from {', '.join(OPTIMIZERS)})")
    net, batch, nbytes = a.network, a.batch, DTYPE_BYTES[a.dtype]
    storage: dict[str, str] = {"input": "input"}
    size: dict[str, Any] = {"input": a.totals["input_elements"]}
    saved: set[str] = set()
    layers: list[LayerTraining] = []
    for lay, cost in zip(net.layers, a.layers):
        op, ins, out = lay.op, lay.in_shapes, lay.out_shape
        if op.op not in BACKWARD:
            raise SpecError(f"no training rule for op '{op.op}' (layer '{lay.name}'); add one in archcalc/training.py")
        views = op.op in VIEWS or (op.op in ("dropout", "drop_path") and op.p == 0)
        storage[lay.name] = storage[lay.inputs[0]] if views else lay.name
        size.setdefault(storage[lay.name], cost.activations)
        needs_in = input_grad or any(src != "input" for src in lay.inputs)
        fwd = cost.macs
        bwd = backward_macs(fwd, needs_in)
        kinds = dict(cost.flops_by_kind)
        for k, v in BACKWARD[op.op](op, ins, out).items():
            kinds[k] = kinds.get(k, 0) + v * batch
        if bwd != 0:
            kinds["mul_add"] = kinds.get("mul_add", 0) + 2 * bwd
        mine = 0
        for item in SAVED[op.op](op, ins, out):
            tag = item[0]
            if tag in ("in", "out"):
                key = storage[lay.inputs[item[1]]] if tag == "in" else storage[lay.name]
                if key not in saved:
                    saved.add(key)
                    mine = mine + size[key] * nbytes
            elif tag == "stat":  # per sample when item[2], else per channel (batch norm)
                mine = mine + item[1] * (batch if item[2] else 1) * STAT_BYTES
            elif tag == "index":
                mine = mine + item[1] * batch * INDEX_BYTES
            else:  # a dropout / stochastic-depth mask at the activation dtype
                mine = mine + item[1] * batch * nbytes
        layers.append(LayerTraining(lay.name, fwd, bwd, {k: v for k, v in kinds.items() if v != 0}, mine, needs_in))
    t = Training(layers)
    t.totals = _totals(a, layers, optimizer)
    return t


def _totals(a: Any, layers: list[LayerTraining], optimizer: str) -> dict[str, Any]:
    params = a.totals["params"]
    half = a.dtype in ("fp16", "bf16")
    nbytes = DTYPE_BYTES[a.dtype]
    weights = params * (4 + nbytes) if half else params * nbytes  # fp32 master copy + working copy
    grads = params * (4 if half else nbytes)
    state = params * 4 * OPTIMIZERS[optimizer]
    saved = sum(lay.saved_bytes for lay in layers)
    if a.symbolic:
        import sympy

        biggest = sympy.Max(*(c.activations for c in a.layers), evaluate=False)
    else:
        biggest = max((c.activations for c in a.layers), default=0)
    working = 2 * biggest * nbytes  # one layer's output and its gradient
    by_kind = {k: sum(lay.flops_by_kind.get(k, 0) for lay in layers) for k in _flop_kinds()}
    out = {
        "macs": sum(lay.macs for lay in layers),
        "backward_macs": sum(lay.backward_macs for lay in layers),
        "flops": sum(by_kind.values()),
        "flops_by_kind": by_kind,
        "saved_activation_bytes": saved,
        "optimizer": optimizer,
        "memory": {"params": weights, "grads": grads, "optimizer": state, "saved_activations": saved,
                   "peak": weights + grads + state + saved + working},
    }
    return _expand(out) if a.symbolic else out


def _expand(v: Any) -> Any:
    """Symbolic totals as expanded polynomials (the form of the forward totals)."""
    import sympy

    if isinstance(v, dict):
        return {k: _expand(x) for k, x in v.items()}
    return sympy.expand(v) if isinstance(v, sympy.Basic) else v
