"""Export a spec as PyTorch source: one ``nn.Module`` class per spec block, spec names as attributes.

:func:`source` builds the network at a point (variant, vars, resolution) and writes a
self-contained Python file (imports only ``torch``): every dotted level of the layer
names (``layer1.0.conv1``) becomes a submodule, so the module's ``state_dict`` keys are
the spec's layer names (``layer1.0.conv1.weight``). A level that is one call of a spec
block becomes a class named after the block (``Bottleneck``); identical levels share one
class (``Bottleneck2`` is a second configuration of the same block). Layers with
parameters are ``nn`` modules; the others are ``torch.nn.functional`` calls in ``forward``.

:func:`to_torch` executes that source in a fresh namespace and returns the module. Only
numbers and ``repr``-quoted names from the built graph reach the text (never spec
expressions), so nothing of the spec runs as code.

Padding that is not symmetric (``padding: same`` with stride 2) is emitted as an
``F.pad`` with the sizes of the export resolution: such a module is exact at that
resolution (say another with ``-r``).

Text generation needs no torch; :func:`to_torch` imports it.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archcalc.graph import INPUT, Layer, Network
from archcalc.ops.base import as_pair

MODULE_OPS = {"conv2d", "linear", "batchnorm", "layernorm", "groupnorm", "layer_scale", "dropout",
              "conv_transpose2d"}


# ------------------------------------------------------------------ tree --
@dataclass
class _Node:
    path: str  #: dotted prefix ("" for the root)
    parent: "_Node | None" = None
    items: list = field(default_factory=list)  # Layer or _Node, document order
    children: dict = field(default_factory=dict)  # component -> _Node
    layers: list = field(default_factory=list)  # every layer below, document order
    inputs: list = field(default_factory=list)  # external sources consumed, first-use order
    outputs: list = field(default_factory=list)  # own layers consumed outside (or the net output)
    cls: str = ""

    def name(self, full: str) -> str:
        return full[len(self.path) + 1:] if self.path else full


def _tree(net: Network) -> _Node:
    root = _Node("")
    for lay in net.layers:
        parts = lay.name.split(".")
        node = root
        for i, part in enumerate(parts[:-1]):
            child = node.children.get(part)
            if child is None:
                child = _Node(".".join(parts[:i + 1]), node)
                node.children[part] = child
                node.items.append(child)
            elif node.items[-1] is not child:
                raise ValueError(f"layers of '{child.path}' are not contiguous (at {lay.name})")
            node = child
        if parts[-1] in node.children:
            raise ValueError(f"'{lay.name}' is both a layer and a level of other layers")
        node.items.append(lay)
        n = node
        while n is not None:
            n.layers.append(lay)
            n = n.parent
    consumers: dict[str, list[str]] = {}
    for lay in net.layers:
        for src in lay.inputs:
            consumers.setdefault(src, []).append(lay.name)
    final = net.layers[-1].name

    def fill(node: _Node) -> None:
        inside = {lay.name for lay in node.layers}
        for lay in node.layers:
            for src in lay.inputs:
                if src not in inside and src not in node.inputs:
                    node.inputs.append(src)
            if lay.name == final or any(c not in inside for c in consumers.get(lay.name, ())):
                node.outputs.append(lay.name)
        for child in node.children.values():
            fill(child)

    fill(root)
    return root


# ------------------------------------------------------------ identifiers --
def _ident(text: str) -> str:
    s = re.sub(r"\W", "_", text)
    if not s or s[0].isdigit():
        s = "x" + s
    if keyword.iskeyword(s) or s in ("self", "torch", "nn", "F"):
        s += "_"
    return s


def _camel(text: str) -> str:
    s = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^0-9A-Za-z]+", text) if p)
    return s if s and not s[0].isdigit() else "Level" + s


def _attr(name: str) -> str:
    """``self.conv1``, or ``self._modules["0"]`` for a name that is not an identifier."""
    if name.isidentifier() and not keyword.iskeyword(name):
        return f"self.{name}"
    return f"self._modules[{name!r}]"


def _assign(name: str, value: str) -> str:
    if name.isidentifier() and not keyword.iskeyword(name):
        return f"self.{name} = {value}"
    return f"self.add_module({name!r}, {value})"


def _num(v) -> str:
    if isinstance(v, bool):
        return repr(v)
    f = float(v)
    return repr(int(f)) if f == int(f) and not isinstance(v, float) else repr(f)


def _pair_src(v) -> str:
    return str(v[0]) if v[0] == v[1] else f"({v[0]}, {v[1]})"


# ------------------------------------------------------------- op lines --
@dataclass
class _Emit:
    helpers: set = field(default_factory=set)


def _padding(op, shape):
    """(symmetric torch padding, asymmetric pad tuple for F.pad or None)."""
    pt, pb, pl, pr = op.pads(shape)
    if pt == pb and pl == pr:
        return (pt, pl), None
    return (0, 0), (pl, pr, pt, pb)


def _module(lay: Layer) -> str | None:
    """The ``nn`` constructor of a layer with state, or None."""
    op, shape = lay.op, lay.in_shapes[0]
    kind = op.op
    c = shape[0]
    if kind == "conv2d":
        k, s, d, _ = op.geometry()
        pad, _ = _padding(op, shape)
        args = [str(c), str(int(op.out_channels)), f"kernel_size={_pair_src(k)}"]
        if s != (1, 1):
            args.append(f"stride={_pair_src(s)}")
        if pad != (0, 0):
            args.append(f"padding={_pair_src(pad)}")
        if d != (1, 1):
            args.append(f"dilation={_pair_src(d)}")
        if int(op.groups) != 1:
            args.append(f"groups={int(op.groups)}")
        if not op.bias:
            args.append("bias=False")
        return f"nn.Conv2d({', '.join(args)})"
    if kind == "conv_transpose2d":
        k, s, d, p = op.geometry()
        args = [str(c), str(int(op.out_channels)), f"kernel_size={_pair_src(k)}", f"stride={_pair_src(s)}",
                f"padding={_pair_src(p)}", f"output_padding={_pair_src(as_pair(op.output_padding, 'op', minimum=0))}",
                f"groups={int(op.groups)}", f"bias={bool(op.bias)}", f"dilation={_pair_src(d)}"]
        return f"nn.ConvTranspose2d({', '.join(args)})"
    if kind == "linear":
        return f"nn.Linear({c}, {int(op.out_features)}" + (", bias=False)" if not op.bias else ")")
    if kind == "batchnorm":
        bn = "BatchNorm2d" if len(shape) == 3 else "BatchNorm1d"
        return f"nn.{bn}({c}, eps={float(op.eps)!r}" + (", affine=False)" if not op.affine else ")")
    if kind == "layernorm":
        return f"nn.LayerNorm({c}, eps={float(op.eps)!r}" + (", elementwise_affine=False)" if not op.affine else ")")
    if kind == "groupnorm":
        return (f"nn.GroupNorm({int(op.num_groups)}, {c}, eps={float(op.eps)!r}"
                + (", affine=False)" if not op.affine else ")"))
    if kind == "layer_scale":
        dims = f"({c}, 1, 1)" if len(shape) == 3 and not op.vector else f"({c},)"
        return f"nn.Parameter(torch.full({dims}, {float(op.init)!r}))"
    if kind == "dropout":
        return f"nn.Dropout({float(op.p)!r})"
    return None


def _channels_last(call: str, x: str, shape) -> str:
    if len(shape) == 3:
        return f"{call}({x}.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)"
    return f"{call}({x})"


_FUNCTIONAL = {"relu": "F.relu({})", "relu6": "F.relu6({})", "silu": "F.silu({})", "swish": "F.silu({})",
               "sigmoid": "torch.sigmoid({})", "hardswish": "F.hardswish({})",
               "hardsigmoid": "F.hardsigmoid({})", "tanh": "torch.tanh({})",
               "softmax": "torch.softmax({}, 1)", "flatten": "torch.flatten({}, 1)",
               "global_avgpool": "F.adaptive_avg_pool2d({}, 1)", "identity": "{}"}


def _expr(lay: Layer, local: str, xs: list[str], em: _Emit) -> str:
    """The forward expression of one layer; ``local`` is its attribute name in its level."""
    op, shape = lay.op, lay.in_shapes[0]
    kind = op.op
    x = xs[0] if xs else "x"
    if kind in ("conv2d", "maxpool", "avgpool"):
        pad, asym = _padding(op, shape)
        if asym is not None:
            value = "float('-inf')" if kind == "maxpool" else "0.0"
            x = f"F.pad({x}, {asym}, value={value})"
    if kind == "conv2d" or kind == "conv_transpose2d":
        return f"{_attr(local)}({x})"
    if kind in ("linear", "layernorm"):
        return _channels_last(_attr(local), x, shape)
    if kind in ("batchnorm", "groupnorm", "dropout"):
        return f"{_attr(local)}({x})"
    if kind == "layer_scale":
        if op.vector and len(shape) == 3:
            return f"{x} * {_attr(local)}.reshape(-1, 1, 1)"
        return f"{x} * {_attr(local)}"
    if kind in _FUNCTIONAL:
        return _FUNCTIONAL[kind].format(x)
    if kind == "gelu":
        return f"F.gelu({x}, approximate={op.approximate!r})" if op.approximate != "none" else f"F.gelu({x})"
    if kind == "maxpool":
        k, s, d, _ = op.geometry()
        args = [x, _pair_src(k), _pair_src(s)]
        pad, _ = _padding(op, shape)
        args.append(_pair_src(pad))
        if d != (1, 1) or op.ceil_mode:
            args.append(_pair_src(d))
        if op.ceil_mode:
            args.append("ceil_mode=True")
        return f"F.max_pool2d({', '.join(args)})"
    if kind == "avgpool":
        k, s, _, _ = op.geometry()
        pad, _ = _padding(op, shape)
        extra = ", ceil_mode=True" if op.ceil_mode else ""
        return f"F.avg_pool2d({x}, {_pair_src(k)}, {_pair_src(s)}, {_pair_src(pad)}{extra})"
    if kind == "adaptive_avgpool":
        return f"F.adaptive_avg_pool2d({x}, {_pair_src(as_pair(op.output_size, 'output_size'))})"
    if kind == "adaptive_maxpool":
        return f"F.adaptive_max_pool2d({x}, {_pair_src(as_pair(op.output_size, 'output_size'))})"
    if kind == "add":
        return " + ".join(xs)
    if kind == "mul":
        return f"{xs[0]} * {xs[1]}"
    if kind == "concat":
        return f"torch.cat([{', '.join(xs)}], 1)"
    if kind == "drop_path":
        em.helpers.add("drop_path")
        return f"drop_path({x}, {float(op.p)!r}, self.training)"
    if kind == "chunk":
        return f"{x}.chunk({int(op.chunks)}, 1)[{int(op.index)}]"
    if kind == "channel_slice":
        start, stop = op.bounds(shape[0])
        return f"{x}[:, {int(start)}:{int(stop)}]"
    if kind == "channel_shuffle":
        return f"F.channel_shuffle({x}, {int(op.groups)})"
    if kind == "upsample":
        if op.mode == "nearest":
            return f"F.interpolate({x}, scale_factor={_num(op.scale_factor)}, mode='nearest')"
        return (f"F.interpolate({x}, scale_factor={_num(op.scale_factor)}, mode='bilinear', "
                f"align_corners={bool(op.align_corners)})")
    if kind == "pad":
        p = [int(v) for v in op.pads_ltrb()]
        return f"F.pad({x}, ({p[0]}, {p[2]}, {p[1]}, {p[3]}), value={float(op.value)!r})"
    if kind == "mean":
        return f"{x}.mean((2, 3), keepdim={bool(op.keepdim)})"
    raise ValueError(f"op '{kind}' has no PyTorch export")


HELPERS = {
    "drop_path": '''
def drop_path(x, p: float, training: bool):
    """Stochastic depth on a residual branch (the identity at inference)."""
    if p == 0.0 or not training:
        return x
    keep = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), device=x.device).bernoulli_(1 - p)
    return x * keep / (1 - p)
''',
}


# ---------------------------------------------------------------- classes --
class _Writer:
    def __init__(self, calls: dict[str, str]):
        self.calls = calls  # block call full name -> block name
        self.classes: dict[str, str] = {}  # body text -> class name
        self.order: list[tuple[str, str]] = []  # (name, text)
        self.used: set[str] = {"F", "nn", "torch", "drop_path"} | set(dir(builtins))  # never shadowed
        self.em = _Emit()

    def class_for(self, node: _Node) -> str:
        init, fwd, args = [], [], []
        var: dict[str, str] = {}
        taken: set[str] = set()

        def new_var(base: str) -> str:
            v, i = _ident(base), 2
            while v in taken:
                v, i = f"{_ident(base)}_{i}", i + 1
            taken.add(v)
            return v

        for src in node.inputs:
            var[src] = new_var("x" if len(node.inputs) == 1 else (src.rsplit(".", 1)[-1] if src != INPUT else "x"))
            args.append(var[src])
        for item in node.items:
            if isinstance(item, Layer):
                local = node.name(item.name)
                ctor = _module(item)
                if ctor is not None:
                    init.append(_assign(local, ctor))
                expr = _expr(item, local, [var[s] for s in item.inputs], self.em)
                v = new_var(local)
                var[item.name] = v
                fwd.append(f"{v} = {expr}")
            else:
                cls = self.class_for(item)
                local = node.name(item.path)
                init.append(_assign(local, f"{cls}()"))
                outs = [new_var(node.name(o)) for o in item.outputs]
                for o, v in zip(item.outputs, outs):
                    var[o] = v
                call = f"{_attr(local)}({', '.join(var[s] for s in item.inputs)})"
                fwd.append(f"{', '.join(outs)} = {call}")
        rets = ", ".join(var[o] for o in node.outputs)
        lines = ["    def __init__(self):", "        super().__init__()"]
        lines += [f"        {line}" for line in init]
        lines += ["", f"    def forward(self, {', '.join(args)}):"]
        lines += [f"        {line}" for line in fwd]
        lines.append(f"        return {rets}")
        body = "\n".join(lines)
        if body in self.classes:
            return self.classes[body]
        if not node.path:
            base = "Net"
        else:
            base = _camel(self.calls.get(node.path) or node.path.rsplit(".", 1)[-1])
        name, i = base, 2
        while name in self.used:
            name, i = f"{base}{i}", i + 1
        self.used.add(name)
        self.classes[body] = name
        self.order.append((name, body))
        return name


_PLACE = re.compile(r"\{([A-Za-z_]\w*)\}")
_SUBST = re.compile(r"\{\s*([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+)\s*)?\}")


def _rule(key: str, to: str):
    """One ``torch_names`` entry as a function: layer name -> new name, or None if it does not apply."""
    for text, rest in ((key, _PLACE.sub("", key)), (to, _SUBST.sub("", to))):
        if "{" in rest or "}" in rest:
            raise ValueError(f"torch_names '{key}': cannot read the braces in '{text}' "
                             "(write {x} in a key; {x}, {x + 1} or {x - 1} in a value)")
    comps = []
    for comp in key.split("."):
        pattern, last = "", 0
        for m in _PLACE.finditer(comp):
            pattern += re.escape(comp[last:m.start()]) + f"(?P<{m.group(1)}>[^.]+)"
            last = m.end()
        comps.append(re.compile(pattern + re.escape(comp[last:])))

    def value(bound: dict, m: re.Match) -> str:
        name, sign, k = m.groups()
        if name not in bound:
            raise ValueError(f"torch_names '{key}': '{{{name}}}' is not in the pattern")
        if sign is None:
            return bound[name]
        if not bound[name].isdigit():
            raise ValueError(f"torch_names '{key}': '{{{name}}}' matched '{bound[name]}', not a number")
        return str(int(bound[name]) + (int(k) if sign == "+" else -int(k)))

    def apply(name: str) -> str | None:
        parts = name.split(".")
        if len(parts) < len(comps):
            return None
        bound: dict = {}
        for pat, part in zip(comps, parts):
            m = pat.fullmatch(part)
            if m is None:
                return None
            bound.update(m.groupdict())
        head = _SUBST.sub(lambda m: value(bound, m), to)
        rest = ".".join(parts[len(comps):])
        return f"{head}.{rest}" if head and rest else (head or rest)
    return apply


def rename(net: Network, names: dict[str, str]) -> Network:
    """``net`` with layer names rewritten by ``names`` (the spec's ``torch_names``).

    Each entry maps a name prefix (whole dotted components) to a new prefix, ``stem.conv`` ->
    ``conv1``. Entries apply in order, each to the names the previous ones gave, so specific
    entries go first. A ``{x}`` in a key matches (part of) one component and may be used in the
    value, also as ``{x + 2}`` or ``{x - 1}`` when it matched a number:
    ``"stage1.block{i}.ir": "features.{i + 2}"``."""
    if not names:
        return net
    from dataclasses import replace

    rules = [_rule(k, v) for k, v in names.items()]

    def new(name: str) -> str:
        for rule in rules:
            out = rule(name)
            if out is not None:
                name = out
        return name

    mapping = {lay.name: new(lay.name) for lay in net.layers}
    if len(set(mapping.values())) != len(mapping):
        seen: dict = {}
        for old, to in mapping.items():
            if to in seen:
                raise ValueError(f"torch_names maps two layers to one name: '{seen[to]}' and '{old}' -> '{to}'")
            seen[to] = old
    layers = [replace(lay, name=mapping[lay.name], inputs=[mapping.get(s, s) for s in lay.inputs]) for lay in net.layers]
    calls = {new(k): v for k, v in net.block_calls.items()}
    return replace(net, layers=layers, block_calls=calls)


def network_source(net: Network, title: str) -> tuple[str, str]:
    """(Python source, name of the top-level class) of a built network."""
    w = _Writer(net.block_calls)
    top = w.class_for(_tree(net))
    parts = [f'"""{title}\n\nGenerated by archcalc; needs only PyTorch. Input per sample: '
             f'{list(net.input_shape)}.\n"""', "",
             "import torch", "from torch import nn", "import torch.nn.functional as F", ""]
    for h in sorted(w.em.helpers):
        parts.append(HELPERS[h])
    for name, body in w.order:
        parts += ["", f"class {name}(nn.Module):", body, ""]
    return "\n".join(parts).rstrip() + "\n", top


def source(spec, variant: str | None = None, vars: dict[str, Any] | None = None,
           resolution: Any = None) -> tuple[str, str]:
    """Export a spec at a point: (Python source, top-level class name).

    The network is built from the loaded spec, the point and the graph (not through the
    API: exporters never import the cost model, importers-exporters contract)."""
    from archcalc.errors import SpecError
    from archcalc.graph import build
    from archcalc.ops import Ctx
    from archcalc.point import input_shape, resolve
    from archcalc.spec.loader import LoadedSpec, load

    loaded = spec if isinstance(spec, LoadedSpec) else load(spec)
    point = resolve(loaded, variant, vars, resolution)
    try:
        shape = input_shape(point, point.vars, False)
    except SpecError as e:
        raise e.located(loaded.source.loc(("input",))) from None
    net = build(loaded, point.vars, shape, Ctx(ideal=False), point.variant)
    try:
        net = rename(net, loaded.spec.torch_names)
    except ValueError as e:
        raise SpecError(str(e)).located(loaded.source.loc(("torch_names",))) from None
    where = Path(loaded.path).name if loaded.path else "a spec"
    title = f"{net.name}" + (f" (variant {net.variant})" if net.variant else "") + f", exported from {where}."
    return network_source(net, title)


def to_torch(spec, variant: str | None = None, resolution: Any = None, **vars):
    """The spec as an ``nn.Module`` (random init, eval mode off: a fresh trainable module)."""
    import torch  # noqa: F401  (the generated code imports it too)

    text, top = source(spec, variant, vars or None, resolution)
    namespace: dict[str, Any] = {"__name__": "archcalc_exported"}
    exec(compile(text, "<archcalc export>", "exec"), namespace)  # generated from numbers and quoted names
    return namespace[top]()
