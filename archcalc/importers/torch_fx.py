"""Import a PyTorch ``nn.Module`` as a spec: torch.fx capture -> archcalc entries -> YAML.

The module is traced in eval mode with ``torch.fx`` (modules without children are
leaves, so every layer keeps its module path as its name: ``layer1.0.conv1``), shapes
come from running the traced graph once on a zero input of ``input_shape`` (batch 1),
and each node is mapped to one archcalc op (``MODULES``, ``FUNCTIONS``, ``METHODS``).
Nodes that only move data without changing it (``contiguous``, ``nn.Identity``, the
permutes around ConvNeXt's channel-last ``LayerNorm``/``Linear``) become no layer.

The world is closed: a module type, function or method without a mapping is collected,
and the import fails with one error listing every unmapped kind with its count and first
module path — never a partial spec. Parameters of modules the inference path never calls
(GoogLeNet's and Inception-v3's auxiliary heads in eval mode) are reported as
``off_path``, so that inference-path params + off-path params = ``sum(p.numel())``.

The spec is written as nested groups following the module hierarchy
(:mod:`archcalc.importers.spec_writer`), with the input size and class count as vars.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

from archcalc.errors import SpecError
from archcalc.importers.common import Entry, UnmappedError  # noqa: F401 (re-exported)

NCHW, NHWC = "nchw", "nhwc"


@dataclass
class Captured:
    """The traced network as archcalc entries, plus what was not on the inference path."""

    entries: list
    input_shape: tuple
    params_total: int
    off_path: dict = field(default_factory=dict)  #: module path -> params never used
    model_class: str = ""
    module_types: dict = field(default_factory=dict)  #: module path -> class name


@dataclass
class _Val:
    src: str  #: archcalc layer name ("input" for the network input)
    layout: str = NCHW


def _type_name(obj) -> str:
    t = obj if isinstance(obj, type) else type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def _pair(v):
    if isinstance(v, (tuple, list)):
        return [int(v[0]), int(v[1])] if int(v[0]) != int(v[1]) else int(v[0])
    return int(v)


def _autowrap() -> tuple:
    fns = []
    try:
        from torchvision.models.shufflenetv2 import channel_shuffle

        fns.append(channel_shuffle)
    except ImportError:  # torchvision is optional
        pass
    return tuple(fns)


class _Tracer(torch.fx.Tracer):
    """Leaves are modules without children (and the few composite ones mapped whole)."""

    def __init__(self):
        super().__init__(autowrap_functions=_autowrap())

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return not any(True for _ in m.children()) or type(m).__name__ in COMPOSITE_LEAVES


#: modules with children that are mapped whole (timm's BN + activation in one module)
COMPOSITE_LEAVES: set[str] = {"BatchNormAct2d"}


# ----------------------------------------------------------------- mapper --
class _Mapper:
    def __init__(self, gm: torch.fx.GraphModule):
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.entries: list[Entry] = []
        self.names: set[str] = {"input"}
        self.prefixes: set[str] = set()
        self.vals: dict[torch.fx.Node, Any] = {}
        self.unmapped: dict[str, list] = {}  # kind -> [count, first path]
        self.used_params: set[str] = set()

    # -------------------------------------------------------- helpers --
    def miss(self, kind: str, where: str) -> None:
        rec = self.unmapped.setdefault(kind, [0, where or "(top level)"])
        rec[0] += 1

    def scope(self, node) -> str:
        stack = node.meta.get("nn_module_stack") or {}
        return list(stack.keys())[-1] if stack else ""

    def unique(self, full: str) -> str:
        name, k = full, 1
        while name in self.names or name in self.prefixes:
            k += 1
            name = f"{full}_{k}"
        self.names.add(name)
        parts = name.split(".")
        for i in range(1, len(parts)):
            self.prefixes.add(".".join(parts[:i]))
        return name

    def shape(self, node) -> tuple | None:
        meta = node.meta.get("tensor_meta")
        return tuple(meta.shape) if isinstance(meta, TensorMetadata) else None

    def emit(self, node, name: str, op: str, fields: dict, inputs: list, layout: str = NCHW) -> None:
        shape = self.shape(node)
        per = shape[1:]
        if layout == NHWC and len(per) == 3:
            per = (per[2], per[0], per[1])
        full = self.unique(name)
        self.entries.append(Entry(full, op, fields, [v.src for v in inputs], tuple(int(d) for d in per)))
        self.vals[node] = _Val(full, layout)

    def arg(self, a):
        """A traced value (or list of them) for an fx argument, None for a constant."""
        if isinstance(a, torch.fx.Node):
            return self.vals.get(a)
        return None

    # ----------------------------------------------------------- main --
    def run(self) -> None:
        for node in self.gm.graph.nodes:
            before = sum(n for n, _ in self.unmapped.values())
            if node.op == "placeholder":
                self.vals[node] = _Val("input")
            elif node.op == "output":
                continue
            elif node.op == "get_attr":
                self.vals[node] = ("param", node.target)
            elif node.op == "call_module":
                self.call_module(node)
            elif node.op == "call_function":
                self.call_function(node)
            elif node.op == "call_method":
                self.call_method(node)
            if node not in self.vals and self.shape(node) is not None:
                if sum(n for n, _ in self.unmapped.values()) == before:
                    self.miss(f"{node.op} {getattr(node.target, '__name__', node.target)}", self.scope(node))
                self.vals[node] = _Val("<unmapped>")  # keep going: report every unmapped kind once

    def call_module(self, node) -> None:
        m = self.modules[node.target]
        kind = type(m)
        x = self.arg(node.args[0]) if node.args else None
        if x is None or not isinstance(x, _Val):
            self.miss(f"module {_type_name(m)} (on a non-tensor input)", node.target)
            return
        fn = MODULES.get(kind) or MODULES.get(kind.__name__)
        if fn is None:
            self.miss(f"module {_type_name(m)}", node.target)
            return
        result = fn(self, node, m, x)
        if result is False:
            return
        for p, _ in m.named_parameters(prefix=node.target):
            self.used_params.add(p)

    def call_function(self, node) -> None:
        fn = FUNCTIONS.get(node.target)
        if fn is None:
            name = getattr(node.target, "__name__", str(node.target))
            if self.shape(node) is None and not any(isinstance(self.arg(a), _Val) for a in node.args):
                return  # arithmetic on sizes: no tensor involved
            self.miss(f"function {getattr(node.target, '__module__', '') or ''}.{name}".replace("_operator.", "operator."),
                      self.scope(node))
            return
        fn(self, node)

    def call_method(self, node) -> None:
        fn = METHODS.get(node.target)
        x = self.arg(node.args[0])
        if isinstance(x, tuple) and x[0] == "param" and node.target in ("reshape", "view"):
            self.vals[node] = x  # a parameter reshaped to broadcast (timm's layer scale)
            return
        if not isinstance(x, _Val):
            return  # a method of a size or a tuple
        if fn is None:
            self.miss(f"method Tensor.{node.target}", self.scope(node))
            return
        fn(self, node, x)

    def fname(self, node, base: str) -> str:
        s = self.scope(node)
        return f"{s}.{base}" if s else base


# --------------------------------------------------------------- modules --
def _conv(mp: _Mapper, node, m: nn.Conv2d, x, same: bool = False):
    if m.padding_mode != "zeros":
        mp.miss(f"module {_type_name(m)}(padding_mode={m.padding_mode!r})", node.target)
        return False
    pad = "same" if same else m.padding if isinstance(m.padding, str) else _pair(m.padding)
    fields = {"out_channels": m.out_channels, "kernel_size": _pair(m.kernel_size), "stride": _pair(m.stride),
              "padding": pad, "dilation": _pair(m.dilation), "groups": m.groups, "bias": m.bias is not None}
    mp.emit(node, node.target, "conv2d", fields, [x])


def _linear(mp: _Mapper, node, m: nn.Linear, x):
    shape = mp.shape(node)
    if len(shape) == 4 and x.layout != NHWC or len(shape) not in (2, 4):
        mp.miss(f"module {_type_name(m)} (on a {len(shape)}-D tensor not channel-last)", node.target)
        return False
    mp.emit(node, node.target, "linear", {"out_features": m.out_features, "bias": m.bias is not None}, [x], x.layout)


def _batchnorm(mp: _Mapper, node, m, x):
    if not m.track_running_stats or m.running_mean is None:
        mp.miss(f"module {_type_name(m)}(track_running_stats=False)", node.target)
        return False
    mp.emit(node, node.target, "batchnorm", {"eps": float(m.eps), "affine": bool(m.affine)}, [x])


def _layernorm(mp: _Mapper, node, m: nn.LayerNorm, x):
    shape = mp.shape(node)
    channel_first = type(m).__name__ == "LayerNorm2d"
    c = shape[1] if channel_first or len(shape) == 2 else shape[-1]
    ok = tuple(m.normalized_shape) == (c,) and (channel_first or len(shape) == 2 or x.layout == NHWC)
    if not ok or (m.elementwise_affine and getattr(m, "bias", 1) is None):
        mp.miss(f"module {_type_name(m)} (not over the channels)", node.target)
        return False
    mp.emit(node, node.target, "layernorm", {"eps": float(m.eps), "affine": bool(m.elementwise_affine)}, [x],
            x.layout)


def _groupnorm(mp, node, m: nn.GroupNorm, x):
    mp.emit(node, node.target, "groupnorm", {"num_groups": m.num_groups, "eps": float(m.eps), "affine": bool(m.affine)}, [x])


def _simple(op: str, **fixed):
    def fn(mp, node, m, x):
        mp.emit(node, node.target, op, dict(fixed), [x], x.layout)
    return fn


def _gelu_module(mp, node, m, x):
    mp.emit(node, node.target, "gelu", {"approximate": m.approximate} if m.approximate != "none" else {}, [x], x.layout)


def _softmax_module(mp, node, m, x):
    if m.dim not in (1, -1 if len(mp.shape(node)) == 2 else 1):
        mp.miss(f"module {_type_name(m)}(dim={m.dim})", node.target)
        return False
    mp.emit(node, node.target, "softmax", {}, [x])


def _pool_fields(kernel_size, stride, padding, dilation=1, ceil_mode=False) -> dict:
    f = {"kernel_size": _pair(kernel_size), "stride": _pair(stride if stride not in (None, [], ()) else kernel_size),
         "padding": _pair(padding)}
    if _pair(dilation) != 1:
        f["dilation"] = _pair(dilation)
    if ceil_mode:
        f["ceil_mode"] = True
    return f


def _maxpool(mp, node, m: nn.MaxPool2d, x):
    if m.return_indices:
        mp.miss(f"module {_type_name(m)}(return_indices=True)", node.target)
        return False
    mp.emit(node, node.target, "maxpool", _pool_fields(m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode), [x])


def _avgpool(mp, node, m: nn.AvgPool2d, x):
    # without padding, count_include_pad changes nothing (ceil-mode overhang is never counted)
    if (not m.count_include_pad and _pair(m.padding) != 0) or m.divisor_override is not None:
        mp.miss(f"module {_type_name(m)}(count_include_pad=False or divisor_override)", node.target)
        return False
    mp.emit(node, node.target, "avgpool", _pool_fields(m.kernel_size, m.stride, m.padding, 1, m.ceil_mode), [x])


def _adaptive(mp, node, name, size, x, kind="avg"):
    out = mp.shape(node)
    oh, ow = out[2], out[3]
    if kind == "avg" and oh == ow == 1:
        mp.emit(node, name, "global_avgpool", {}, [x])
    else:
        mp.emit(node, name, f"adaptive_{kind}pool", {"output_size": oh if oh == ow else [oh, ow]}, [x])


def _adaptive_module(kind):
    def fn(mp, node, m, x):
        _adaptive(mp, node, node.target, m.output_size, x, kind)
    return fn


def _alias(mp, node, m, x):
    mp.vals[node] = x


def _empty_sequential(mp, node, m, x):
    """An empty ``nn.Sequential()`` is the identity (GhostNet's shortcut); a full one is never a leaf."""
    if len(m):
        mp.miss(f"module {_type_name(m)} (traced as one call)", node.target)
        return False
    _alias(mp, node, m, x)


def _flatten_module(mp, node, m: nn.Flatten, x):
    _flatten(mp, node, node.target, x, m.start_dim, m.end_dim)


def _flatten(mp, node, name, x, start=1, end=-1):
    shape = mp.shape(node)
    if len(shape) == 2 and (start, end) in ((1, -1), (1, 3)) and x.layout == NCHW:
        src_shape = next((e.shape for e in mp.entries if e.name == x.src), None)
        if src_shape is not None and len(src_shape) == 1:
            mp.vals[node] = x  # already flat
            return
        mp.emit(node, name, "flatten", {}, [x])
        return
    mp.miss(f"flatten(start_dim={start}, end_dim={end})", name)


def _dropout(mp, node, m, x):
    mp.emit(node, node.target, "dropout", {"p": float(m.p)}, [x], x.layout)


def _stochastic_depth(mp, node, m, x):
    mp.emit(node, node.target, "drop_path", {"p": float(m.p)}, [x], x.layout)


def _permute_module(mp, node, m, x):
    _permute(mp, node, x, tuple(m.dims))


def _permute(mp, node, x, dims):
    dims = tuple(d % 4 for d in dims)
    if dims == (0, 2, 3, 1) and x.layout == NCHW:
        mp.vals[node] = _Val(x.src, NHWC)
    elif dims == (0, 3, 1, 2) and x.layout == NHWC:
        mp.vals[node] = _Val(x.src, NCHW)
    elif dims == (0, 1, 2, 3):
        mp.vals[node] = x
    else:
        mp.miss(f"permute{dims} (only the channel-last round trip of ConvNeXt)", mp.scope(node))


def _conv_transpose(mp: _Mapper, node, m: nn.ConvTranspose2d, x):
    if m.padding_mode != "zeros" or isinstance(m.padding, str):
        mp.miss(f"module {_type_name(m)}(padding={m.padding!r}, padding_mode={m.padding_mode!r})", node.target)
        return False
    fields = {"out_channels": m.out_channels, "kernel_size": _pair(m.kernel_size), "stride": _pair(m.stride),
              "padding": _pair(m.padding), "output_padding": _pair(m.output_padding), "dilation": _pair(m.dilation),
              "groups": m.groups, "bias": m.bias is not None}
    mp.emit(node, node.target, "conv_transpose2d", fields, [x])


def _upsample_fields(mp, node, size, scale, mode, align_corners):
    src, out = mp.shape(node.args[0]), mp.shape(node)
    f = out[2] // src[2] if src[2] else 0
    if mode not in ("nearest", "bilinear") or f < 1 or out[2] != src[2] * f or out[3] != src[3] * f:
        return None
    fields = {"scale_factor": int(f), "mode": mode}
    if mode == "bilinear" and align_corners:
        fields["align_corners"] = True
    return fields


def _upsample_module(mp, node, m, x):
    fields = _upsample_fields(mp, node, m.size, m.scale_factor, m.mode, bool(m.align_corners))
    if fields is None:
        mp.miss(f"module {_type_name(m)}(mode={m.mode!r}, non-integer factor)", node.target)
        return False
    mp.emit(node, node.target, "upsample", fields, [x])


def _pad_module(mp, node, m, x):
    left, right, top, bottom = (int(v) for v in m.padding)
    mp.emit(node, node.target, "pad", {"padding": [left, right, top, bottom], "value": float(m.value)}, [x])


MODULES: dict = {
    nn.Conv2d: _conv, nn.Linear: _linear, nn.ConvTranspose2d: _conv_transpose,
    nn.Upsample: _upsample_module, nn.UpsamplingNearest2d: _upsample_module,
    nn.UpsamplingBilinear2d: _upsample_module, nn.ZeroPad2d: _pad_module, nn.ConstantPad2d: _pad_module,
    nn.BatchNorm2d: _batchnorm, nn.BatchNorm1d: _batchnorm,
    nn.LayerNorm: _layernorm, "LayerNorm2d": _layernorm, "LayerNorm": _layernorm, nn.GroupNorm: _groupnorm,
    nn.ReLU: _simple("relu"), nn.ReLU6: _simple("relu6"), nn.SiLU: _simple("silu"),
    nn.Sigmoid: _simple("sigmoid"), nn.Hardswish: _simple("hardswish"),
    nn.Hardsigmoid: _simple("hardsigmoid"), nn.Tanh: _simple("tanh"), nn.GELU: _gelu_module,
    nn.Softmax: _softmax_module,
    nn.MaxPool2d: _maxpool, nn.AvgPool2d: _avgpool,
    nn.AdaptiveAvgPool2d: _adaptive_module("avg"), nn.AdaptiveMaxPool2d: _adaptive_module("max"),
    nn.Flatten: _flatten_module, nn.Identity: _alias,
    nn.Sequential: lambda mp, node, m, x: _empty_sequential(mp, node, m, x),
    nn.Dropout: _dropout, nn.Dropout2d: _dropout,
    "StochasticDepth": _stochastic_depth, "Permute": _permute_module,
    # timm's layers (mapped by class name: timm is optional)
    "DropPath": lambda mp, node, m, x: mp.emit(node, node.target, "drop_path", {"p": float(m.drop_prob)}, [x], x.layout),
    "Conv2dSame": lambda mp, node, m, x: _conv(mp, node, m, x, same=True),
    "BatchNormAct2d": lambda mp, node, m, x: _bn_act(mp, node, m, x),
    "Sigmoid": _simple("sigmoid"), "Tanh": _simple("tanh"), "Swish": _simple("silu"),
    "HardSwish": _simple("hardswish"), "HardSigmoid": _simple("hardsigmoid"),
    "GELU": lambda mp, node, m, x: mp.emit(node, node.target, "gelu", {}, [x], x.layout),
    "GELUTanh": lambda mp, node, m, x: mp.emit(node, node.target, "gelu", {"approximate": "tanh"}, [x], x.layout),
    "Linear": lambda mp, node, m, x: _linear(mp, node, m, x) if isinstance(m, nn.Linear) else mp.miss(
        f"module {_type_name(m)}", node.target),
}


def _bn_act(mp: _Mapper, node, m, x):
    """timm's BatchNormAct2d: batchnorm, then its ``drop`` (identity in eval) and ``act``."""
    if _batchnorm(mp, node, m, x) is False:
        return False
    bn = mp.vals[node]
    act = m.act
    simple = {nn.ReLU: "relu", nn.ReLU6: "relu6", nn.SiLU: "silu", nn.Sigmoid: "sigmoid", nn.Hardswish: "hardswish",
              nn.GELU: "gelu", nn.Tanh: "tanh"}
    if isinstance(act, nn.Identity):
        return
    op = simple.get(type(act)) or {"GELU": "gelu", "Swish": "silu", "HardSwish": "hardswish"}.get(type(act).__name__)
    if op is None:
        mp.miss(f"module {_type_name(act)} (in BatchNormAct2d)", f"{node.target}.act")
        return False
    full = mp.unique(f"{node.target}_act")
    mp.entries.append(Entry(full, op, {}, [bn.src], mp.entries[-1].shape))
    mp.vals[node] = _Val(full)


# ------------------------------------------------------------- functions --
def _binary(op: str):
    def fn(mp: _Mapper, node):
        a, b = (mp.arg(x) for x in node.args[:2])
        if op == "mul" and isinstance(a, tuple) != isinstance(b, tuple):  # parameter * tensor
            param, x = (a, b) if isinstance(a, tuple) else (b, a)
            _layer_scale(mp, node, param[1], x)
            return
        if not (isinstance(a, _Val) and isinstance(b, _Val)):
            mp.miss(f"{op} with a constant", mp.scope(node))
            return
        if a.layout != b.layout:
            mp.miss(f"{op} of channel-first and channel-last tensors", mp.scope(node))
            return
        mp.emit(node, mp.fname(node, op), op, {}, [a, b], a.layout)
    return fn


def _layer_scale(mp: _Mapper, node, target: str, x: _Val):
    p = mp.gm.get_parameter(target) if target in dict(mp.gm.named_parameters()) else None
    c = mp.shape(node)[1] if x.layout == NCHW else mp.shape(node)[-1]
    if p is None or p.numel() != c:
        mp.miss("mul by a tensor constant that is not a per-channel scale", mp.scope(node))
        return
    mp.used_params.add(target)
    init = float(p.detach().flatten()[0]) if p.numel() else 1e-6
    fields = {"init": init}
    if x.layout == NCHW and p.dim() == 1:
        fields["vector"] = True  # timm's gamma [C], reshaped to [1, C, 1, 1] in forward
    mp.emit(node, target, "layer_scale", fields, [x], x.layout)


def _cat(mp: _Mapper, node):
    xs = node.args[0]
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    vals = [mp.arg(a) for a in xs]
    if dim not in (1, -3) or not all(isinstance(v, _Val) and v.layout == NCHW for v in vals):
        mp.miss(f"torch.cat(dim={dim})", mp.scope(node))
        return
    if len(vals) == 1:  # DenseNet's first layer concatenates a list of one
        mp.vals[node] = vals[0]
        return
    mp.emit(node, mp.fname(node, "concat"), "concat", {}, vals)


def _fn_simple(op: str):
    def fn(mp: _Mapper, node):
        x = mp.arg(node.args[0])
        fields = {}
        if op == "gelu" and node.kwargs.get("approximate", "none") != "none":
            fields["approximate"] = node.kwargs["approximate"]
        mp.emit(node, mp.fname(node, op), op, fields, [x], x.layout)
    return fn


def _fn_flatten(mp: _Mapper, node):
    x = mp.arg(node.args[0])
    start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
    end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
    _flatten(mp, node, mp.fname(node, "flatten"), x, start, end)


def _fn_adaptive(kind):
    def fn(mp: _Mapper, node):
        _adaptive(mp, node, mp.fname(node, f"adaptive_{kind}pool"), None, mp.arg(node.args[0]), kind)
    return fn


def _kw(node, names, defaults):
    out = dict(defaults)
    for n, v in zip(names, node.args[1:]):
        out[n] = v
    out.update({k: v for k, v in node.kwargs.items() if k in out})
    return out


def _fn_maxpool(mp: _Mapper, node):
    a = _kw(node, ["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"],
            {"kernel_size": None, "stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False})
    mp.emit(node, mp.fname(node, "maxpool"), "maxpool",
            _pool_fields(a["kernel_size"], a["stride"], a["padding"], a["dilation"], a["ceil_mode"]), [mp.arg(node.args[0])])


def _fn_avgpool(mp: _Mapper, node):
    a = _kw(node, ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
            {"kernel_size": None, "stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True,
             "divisor_override": None})
    if not a["count_include_pad"] or a["divisor_override"] is not None:
        mp.miss("F.avg_pool2d(count_include_pad=False or divisor_override)", mp.scope(node))
        return
    mp.emit(node, mp.fname(node, "avgpool"), "avgpool",
            _pool_fields(a["kernel_size"], a["stride"], a["padding"], 1, a["ceil_mode"]), [mp.arg(node.args[0])])


def _fn_dropout(mp: _Mapper, node):
    mp.vals[node] = mp.arg(node.args[0])  # F.dropout(training=self.training): identity in eval


def _fn_channel_shuffle(mp: _Mapper, node):
    groups = node.args[1] if len(node.args) > 1 else node.kwargs["groups"]
    mp.emit(node, mp.fname(node, "channel_shuffle"), "channel_shuffle", {"groups": int(groups)}, [mp.arg(node.args[0])])


def _chunk(mp: _Mapper, node, x=None):
    x = x or mp.arg(node.args[0])
    chunks = node.args[1] if len(node.args) > 1 else node.kwargs["chunks"]
    dim = node.args[2] if len(node.args) > 2 else node.kwargs.get("dim", 0)
    if dim not in (1, -3) or x.layout != NCHW:
        mp.miss(f"chunk(dim={dim})", mp.scope(node))
        return
    mp.vals[node] = ("chunks", x, int(chunks))


def _getitem(mp: _Mapper, node):
    v = mp.arg(node.args[0])
    if isinstance(v, tuple) and v[0] == "chunks":
        _, x, chunks = v
        i = int(node.args[1])
        mp.emit(node, mp.fname(node, "chunk"), "chunk", {"chunks": chunks, "index": i}, [x])
    elif isinstance(v, _Val):
        bounds = _channel_slice(mp, node)
        if bounds is None:
            mp.miss("tensor indexing", mp.scope(node))
        elif bounds == (0, mp.shape(node.args[0])[1]):
            mp.vals[node] = v  # x[:, :C]: all of it
        else:
            mp.emit(node, mp.fname(node, "channel_slice"), "channel_slice",
                    {"start": bounds[0], "stop": bounds[1]}, [v])


def _channel_slice(mp: _Mapper, node) -> tuple[int, int] | None:
    """(start, stop) of ``x[:, a:b]`` / ``x[:, a:b, :, :]`` on an NCHW tensor (PyTorch's
    clamping applied), or None for any other index."""
    idx, shape = node.args[1], mp.shape(node.args[0])
    if not isinstance(idx, tuple) or shape is None or len(shape) != 4 or len(idx) < 2 \
            or mp.arg(node.args[0]).layout != NCHW:
        return None
    full = slice(None)
    if idx[0] != full or not isinstance(idx[1], slice) or any(i != full for i in idx[2:]):
        return None
    s, c = idx[1], shape[1]
    if s.step not in (None, 1) or not all(v is None or isinstance(v, int) for v in (s.start, s.stop)):
        return None
    start, stop, _ = s.indices(c)
    return (start, stop) if start < stop else None


def _mean(mp: _Mapper, node, x=None):
    x = x or mp.arg(node.args[0])
    dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    keep = bool(node.args[2] if len(node.args) > 2 else node.kwargs.get("keepdim", False))
    dims = tuple(sorted(d % 4 for d in (dims if isinstance(dims, (list, tuple)) else [dims]))) if dims is not None else ()
    if dims != (2, 3) or x.layout != NCHW:
        mp.miss(f"mean over dims {dims}", mp.scope(node))
        return
    mp.emit(node, mp.fname(node, "mean"), "global_avgpool" if keep else "mean", {}, [x])


def _fn_mean(mp, node):
    _mean(mp, node)


def _fn_interpolate(mp: _Mapper, node):
    a = _kw(node, ["size", "scale_factor", "mode", "align_corners"],
            {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None})
    fields = _upsample_fields(mp, node, a["size"], a["scale_factor"], a["mode"], bool(a["align_corners"]))
    if fields is None:
        mp.miss(f"F.interpolate(mode={a['mode']!r}, non-integer factor)", mp.scope(node))
        return
    mp.emit(node, mp.fname(node, "upsample"), "upsample", fields, [mp.arg(node.args[0])])


def _fn_pad(mp: _Mapper, node):
    a = _kw(node, ["pad", "mode", "value"], {"pad": None, "mode": "constant", "value": None})
    p = list(a["pad"])
    if a["mode"] != "constant" or len(p) != 4:
        mp.miss(f"F.pad(mode={a['mode']!r}, {len(p)} sizes)", mp.scope(node))
        return
    mp.emit(node, mp.fname(node, "pad"), "pad", {"padding": [int(v) for v in p], "value": float(a["value"] or 0.0)},
            [mp.arg(node.args[0])])


FUNCTIONS: dict = {
    F.interpolate: _fn_interpolate, F.pad: _fn_pad,
    operator.add: _binary("add"), operator.iadd: _binary("add"), torch.add: _binary("add"),
    operator.mul: _binary("mul"), operator.imul: _binary("mul"), torch.mul: _binary("mul"),
    torch.cat: _cat, torch.concat: _cat, torch.flatten: _fn_flatten,
    F.relu: _fn_simple("relu"), torch.relu: _fn_simple("relu"), F.relu6: _fn_simple("relu6"),
    F.silu: _fn_simple("silu"), torch.sigmoid: _fn_simple("sigmoid"), F.sigmoid: _fn_simple("sigmoid"),
    F.hardswish: _fn_simple("hardswish"), F.hardsigmoid: _fn_simple("hardsigmoid"),
    F.gelu: _fn_simple("gelu"), torch.tanh: _fn_simple("tanh"),
    F.adaptive_avg_pool2d: _fn_adaptive("avg"), F.adaptive_max_pool2d: _fn_adaptive("max"),
    F.max_pool2d: _fn_maxpool, F.avg_pool2d: _fn_avgpool, F.dropout: _fn_dropout,
    torch.chunk: _chunk, operator.getitem: _getitem, torch.mean: _fn_mean,
    F.channel_shuffle: _fn_channel_shuffle,
}
for _f in _autowrap():
    FUNCTIONS[_f] = _fn_channel_shuffle


def _m_view(mp: _Mapper, node, x):
    shape = mp.shape(node)
    src = mp.shape(node.args[0])
    if shape == src:
        mp.vals[node] = x
    elif len(shape) == 2 and len(src) == 4 and x.layout == NCHW:
        mp.emit(node, mp.fname(node, "flatten"), "flatten", {}, [x])
    else:
        mp.miss(f"Tensor.{node.target} {list(src)} -> {list(shape)}", mp.scope(node))


def _m_flatten(mp, node, x):
    start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
    end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
    _flatten(mp, node, mp.fname(node, "flatten"), x, start, end)


def _m_permute(mp, node, x):
    dims = node.args[1:] if not isinstance(node.args[1], (list, tuple)) else node.args[1]
    _permute(mp, node, x, tuple(dims))


METHODS: dict = {
    "contiguous": lambda mp, node, x: mp.vals.__setitem__(node, x),
    "view": _m_view, "reshape": _m_view, "flatten": _m_flatten, "permute": _m_permute,
    "mean": lambda mp, node, x: _mean(mp, node, x), "chunk": lambda mp, node, x: _chunk(mp, node, x),
    "relu": lambda mp, node, x: _fn_simple("relu")(mp, node), "sigmoid": lambda mp, node, x: _fn_simple("sigmoid")(mp, node),
    "add": lambda mp, node, x: _binary("add")(mp, node), "mul": lambda mp, node, x: _binary("mul")(mp, node),
    "add_": lambda mp, node, x: _binary("add")(mp, node), "mul_": lambda mp, node, x: _binary("mul")(mp, node),
    "size": lambda mp, node, x: None, "dim": lambda mp, node, x: None,
}


# ------------------------------------------------------------------ api --
def capture(module: nn.Module, input_shape=(3, 224, 224)) -> Captured:
    """Trace ``module`` (eval mode) and map it to archcalc entries; raises UnmappedError."""
    input_shape = tuple(int(d) for d in input_shape)
    was_training = module.training
    module.eval()
    try:
        graph = _Tracer().trace(module)
        gm = torch.fx.GraphModule(module, graph)
        with torch.no_grad():
            ShapeProp(gm).propagate(torch.zeros((1,) + input_shape))
    except UnmappedError:
        raise
    except Exception as e:  # noqa: BLE001 - tracing runs the user's code; say what failed, briefly
        raise SpecError(f"cannot trace {type(module).__name__} with torch.fx at input {list(input_shape)}: "
                        f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    finally:
        module.train(was_training)
    mp = _Mapper(gm)
    mp.run()
    outputs = [n for n in gm.graph.nodes if n.op == "output"]
    out = outputs[0].args[0] if outputs else None
    if mp.unmapped:
        pass
    elif not isinstance(out, torch.fx.Node) or not isinstance(mp.vals.get(out), _Val):
        mp.miss("a network output that is not one tensor", "")
    elif mp.vals[out].src != (mp.entries[-1].name if mp.entries else None):
        mp.miss("a network output that is not the last layer", "")
    if mp.unmapped:
        items = sorted(mp.unmapped.items(), key=lambda kv: -kv[1][0])
        listing = "; ".join(f"{kind} x{n} (first at {where})" for kind, (n, where) in items)
        raise UnmappedError(f"cannot import {type(module).__name__}: {len(items)} kind(s) have no archcalc "
                            f"mapping: {listing}")
    total = sum(p.numel() for p in module.parameters())
    off: dict[str, int] = {}
    for name, p in module.named_parameters():
        if name not in mp.used_params:
            top = name.rsplit(".", 1)[0]
            off[top] = off.get(top, 0) + p.numel()
    types = {}
    for node in gm.graph.nodes:
        for path, (_, t) in (node.meta.get("nn_module_stack") or {}).items():
            types[path] = t.__name__ if isinstance(t, type) else str(t).rsplit(".", 1)[-1]
    for path, m in module.named_modules():
        if path in types and _plain_sequence(m):
            types[path] = "Sequential"  # a stage (regnet's AnyStage): a container, its units the blocks
    return Captured(mp.entries, input_shape, total, _roll_up(off), _type_name(module), types)


def _plain_sequence(m) -> bool:
    """An ``nn.Sequential`` subclass that only holds modules with children of their own, in
    Sequential's own forward (torchvision's regnet ``AnyStage``) — not a layer combination
    like ``Conv2dNormActivation``, whose children are leaves."""
    import torch.nn as nn

    return isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward \
        and len(m) > 0 and all(any(True for _ in c.children()) for c in m)


def _roll_up(off: dict[str, int]) -> dict[str, int]:
    """Off-path params grouped by their top-level module (``aux1``, ``AuxLogits``)."""
    out: Counter = Counter()
    for path, n in off.items():
        out[path.split(".")[0]] += n
    return dict(out)
