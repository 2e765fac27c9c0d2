"""Import an ONNX model as a spec: constant folding, onnx's shape inference, then one archcalc
op per node (or per recognised pattern).

**Constant folding.** Shape-arithmetic nodes (``_FOLD``) whose inputs are all constants
(initializers, ``Constant`` nodes, ``Shape`` of a tensor whose shape inference knows it, with
batch 1) are evaluated with ``onnx.reference`` and become constants (at most 64M elements); shape inference is rerun until nothing changes.
This removes the ``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` chains torch's
exporter writes for ``x.view(x.size(0), -1)`` or a channel shuffle, and the ``Identity``
nodes that share initializers. Nothing of the file is executed otherwise.

**Mapped operators.** Conv, ConvTranspose, Gemm, MatMul (+ Add of a bias; on ``[N, F]`` or on a
channels-last map), BatchNormalization, LayerNormalization (over the channels: the last axis
of a channels-last map, or of ``[N, F]``), Relu, Clip(0, 6) (relu6) and Clip(0, inf) (relu),
Sigmoid (``x * sigmoid(x)`` is silu), HardSigmoid (1/6, 1/2), HardSwish, Tanh, Gelu, the
Erf-GELU pattern ``Div(x, sqrt 2) -> Erf -> Add(1) -> Mul(x) -> Mul(0.5)`` (either order of the
two Muls), Softmax over the features, Add, Mul (a ``[C, 1, 1]`` gate; times a per-channel
constant it is ``layer_scale``), Concat (channels), Split and Slice along the channels into
equal pieces (``chunk``), the channel shuffle ``Reshape [N, g, C/g, H, W] -> Transpose
(0, 2, 1, 3, 4) -> Reshape [N, C, H, W]`` (``channel_shuffle``), Transpose to and from channels
last (``(0, 2, 3, 1)`` / ``(0, 3, 1, 2)``, ConvNeXt's permutes, free), GlobalAveragePool,
AveragePool, MaxPool, Flatten, Reshape/Squeeze/Unsqueeze that keep the shape or flatten
``[C, H, W]``, ReduceMean over H, W, Pad (constant, H and W only), Resize (integer scale;
nearest with ``asymmetric``/``floor`` as torch exports ``nn.Upsample``, linear with
``half_pixel``/``pytorch_half_pixel`` or ``align_corners``), Identity, Dropout.

The world is closed as for PyTorch: every unmapped operator (or unsupported use of a mapped
one) is listed once with its count and first node; the nodes fed by an unmapped node are not
reported again. Layer names are the node names (or output
names), with characters other than letters, digits and ``_`` replaced by ``_``; where the file
records the torch module a node came from (the scopes in the TorchScript exporter's node names,
the dynamo exporter's ``name_scopes`` metadata) the name is that module path and the node's own
part (``layer1_0_conv1_Conv``).

``capture.weights`` holds the ONNX initializers under the executor's keys
(``<layer>.weight`` ...; archcalc.executor.weights), so ``archcalc validate net.yaml
--weights model.onnx`` runs the imported spec on the file's own weights.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from archcalc.errors import SpecError
from archcalc.importers.common import Entry, UnmappedError

#: the ops folded when their inputs are constant: shape arithmetic and weight re-layouts, all cheap
_FOLD = {"Shape", "Size", "Identity", "Cast", "CastLike", "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape", "Slice", "Transpose",
         "Flatten", "Expand", "ConstantOfShape", "Range", "Tile", "Split", "Add", "Sub", "Mul", "Div", "Neg", "Sqrt",
         "Floor", "Ceil", "Abs", "Min", "Max", "Pow", "Equal", "Less", "Greater", "Where", "Not", "And", "Or",
         "ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin"}
_MAX_FOLD_ELEMENTS = 1 << 26  # no folded constant (input or output) beyond 64M elements: bounded work


def _fold_output_bound(op, ins) -> float:
    """An upper bound on the elements of a folded op's output (for the ops that can grow)."""
    try:
        if op == "ConstantOfShape":
            return float(np.prod(ins[0].astype(np.float64))) if ins[0].size else 1.0
        if op == "Expand":
            return float(np.prod(np.maximum(ins[1].astype(np.float64), 1))) * max(1, ins[0].size)
        if op == "Tile":
            return float(np.prod(ins[1].astype(np.float64))) * ins[0].size
        if op == "Range":
            start, limit, delta = (float(v) for v in ins[:3])
            return abs((limit - start) / delta) if delta else math.inf
    except (TypeError, ValueError, OverflowError, IndexError):
        return math.inf
    return float(sum(v.size for v in ins))


@dataclass
class OnnxCapture:
    entries: list
    input_shape: tuple
    params_total: int
    off_path: dict = field(default_factory=dict)
    model_class: str = "ONNX"
    weights: dict = field(default_factory=dict)  #: executor state_dict: ``<layer>.weight`` -> array
    sources: dict = field(default_factory=dict)  #: layer name -> the ONNX node name it came from
    modules: dict = field(default_factory=dict)  #: layer name -> the torch module path, when the file records it


def _attrs(node) -> dict:
    import onnx

    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _pair(v) -> int | list:
    v = [int(x) for x in v]
    return v[0] if len(set(v)) == 1 else v


def _const_value(node):
    """The array of a Constant node (any of its attribute forms)."""
    from onnx import numpy_helper

    a = {x.name: x for x in node.attribute}
    if "value" in a:
        return numpy_helper.to_array(a["value"].t)
    for key, dtype in (("value_float", np.float32), ("value_int", np.int64)):
        if key in a:
            return np.array(a[key].f if key == "value_float" else a[key].i, dtype)
    if "value_floats" in a:
        return np.array(list(a["value_floats"].floats), np.float32)
    if "value_ints" in a:
        return np.array(list(a["value_ints"].ints), np.int64)
    return None


def _shapes(model, types: dict | None = None) -> dict:
    """Per tensor name its inferred shape (0 for an unknown dimension); ``types`` gets the element types."""
    from onnx import shape_inference

    try:
        inferred = shape_inference.infer_shapes(model, data_prop=True)
    except Exception as e:  # noqa: BLE001 - an inconsistent graph is bad input
        raise SpecError(f"onnx shape inference failed: {str(e).splitlines()[0][:200]}") from None
    g = inferred.graph
    shapes = {}
    for vi in list(g.value_info) + list(g.output) + list(g.input):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            dd = [d.dim_value if d.HasField("dim_value") else 0 for d in t.shape.dim]
            shapes[vi.name] = tuple(dd)
        if types is not None and t.elem_type:
            types[vi.name] = t.elem_type
    return shapes


def fold_constants(model, max_rounds: int = 8):
    """Evaluate the shape-arithmetic nodes whose inputs are constants.

    Returns (model, constants, shapes, the names of the constants that were computed)."""
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    graph = model.graph
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    initial = set(consts)
    opset = {o.domain: o.version for o in model.opset_import}
    shapes: dict = {}
    for _ in range(max_rounds):
        types: dict = {}
        shapes = _shapes(model, types)
        keep, changed = [], False
        for node in graph.node:
            op = node.op_type
            value = None
            if op == "Constant":
                value = [_const_value(node)]
            elif op == "Shape" and node.input[0] not in consts:
                s = shapes.get(node.input[0])
                if s and all(d > 0 for d in s):
                    a = _attrs(node)
                    arr = np.array(s, np.int64)
                    value = [arr[a.get("start", 0):a.get("end", len(s))]]
            elif op == "CastLike" and node.input[0] in consts and node.input[1] not in consts \
                    and node.input[1] in types:  # a constant cast to a tensor's type (dynamo's zero biases)
                value = [consts[node.input[0]].astype(helper.tensor_dtype_to_np_dtype(types[node.input[1]]))]
            elif op == "Size" and node.input[0] not in consts:
                s = shapes.get(node.input[0])
                if s and all(d > 0 for d in s):
                    value = [np.array(math.prod(s), np.int64)]
            elif (node.domain in ("", "ai.onnx") and op in _FOLD and node.input
                    and all((not i) or i in consts for i in node.input)
                    and _fold_output_bound(op, [consts[i] for i in node.input if i]) <= _MAX_FOLD_ELEMENTS):
                try:
                    feeds = {i: consts[i] for i in node.input if i}
                    ev = ReferenceEvaluator(node, opsets={"": opset.get("", 13)})
                    value = ev.run(None, feeds)
                except Exception:  # noqa: BLE001 - not foldable: left to the mapping (and its error)
                    value = None
            if value is not None and all(v is not None and np.size(v) <= _MAX_FOLD_ELEMENTS for v in value):
                for o, v in zip(node.output, value):
                    if o:
                        consts[o] = np.asarray(v)
                if op == "Identity" and node.input[0] in initial:
                    initial.add(node.output[0])  # an initializer shared under a second name is not computed
                changed = True
            else:
                keep.append(node)
        if not changed:
            break
        del graph.node[:]
        graph.node.extend(keep)
        names = {t.name for t in graph.initializer}
        used = {i for n in keep for i in n.input} | {o.name for o in graph.output}
        for name, v in consts.items():
            if name not in names and name in used:
                graph.initializer.append(numpy_helper.from_array(np.asarray(v), name))
    folded = set(consts) - initial
    return model, consts, shapes, folded


def _load(path, input_shape):
    try:
        import onnx
    except ImportError:
        raise SpecError("importing .onnx files needs the onnx package (pip install 'archcalc[onnx]')") from None
    try:
        model = onnx.load(str(path))
    except Exception as e:  # noqa: BLE001 - a bad file is bad input
        raise SpecError(f"{path}: not a readable ONNX model ({type(e).__name__})") from None
    graph = model.graph
    inits = {t.name for t in graph.initializer} | {o for n in graph.node if n.op_type == "Constant" for o in n.output}
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise SpecError(f"{path}: expected one image input, found {len(inputs)}")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if input_shape is not None:
        dims = [1] + [int(d) for d in input_shape]
    elif dims:
        dims[0] = 1  # a symbolic batch is 1 for shape inference
    if len(dims) != 4 or min(dims[1:]) < 1:
        raise SpecError.naming("{path}: the input must be [N, C, H, W] with known C, H, W; give {input_shape} CxHxW",
                               "input_shape", path=path)
    inputs[0].type.tensor_type.shape.ClearField("dim")
    for d in dims:
        inputs[0].type.tensor_type.shape.dim.add().dim_value = int(d)
    # outputs' declared shapes may name a symbolic batch: let inference decide
    for o in graph.output:
        if o.type.tensor_type.HasField("shape"):
            o.type.tensor_type.ClearField("shape")
    model, consts, shapes, folded = fold_constants(model)
    return model, consts, shapes, folded, inputs[0].name, dims


def scope_path(node_name: str) -> str:
    """The module path in a node name of torch's TorchScript exporter.

    Its scopes are the modules' names from their last non-numeric part on
    (``/features/features.1/features.1.0/block/block.0/Conv``), so a scope that repeats the
    end of its parent continues it: ``features.1.0.block.0``.

    >>> scope_path("/layer1/layer1.0/conv1/Conv"), scope_path("/features/features.1/features.1.0/block/block.0/Conv")
    ('layer1.0.conv1', 'features.1.0.block.0')
    """
    cur: list[str] = []
    for seg in node_name.strip("/").split("/")[:-1]:
        atoms = seg.split(".")
        k = next((k for k in range(len(atoms), 0, -1) if len(cur) >= k and cur[-k:] == atoms[:k]), 0)
        cur += atoms[k:]
    return ".".join(cur)


def node_module(node) -> str:
    """The torch module path a node came from: the dynamo exporter's ``pkg.torch.onnx.name_scopes``
    metadata (``['', 'layer1', 'layer1.0', 'layer1.0.conv1', 'conv2d']``: its second-to-last
    entry), else the scopes of the TorchScript exporter's node name (:func:`scope_path`)."""
    for p in node.metadata_props:
        if p.key == "pkg.torch.onnx.name_scopes" and len(p.value) < 100_000:
            scopes = re.findall(r"'([^']*)'", p.value)  # a list's repr, read without evaluating it
            if len(scopes) >= 2:
                return scopes[-2]
    return scope_path(node.name) if "/" in node.name.strip("/") else ""


def _is(v, target, tol=1e-4) -> bool:
    return v is not None and np.size(v) == 1 and abs(float(np.asarray(v).reshape(-1)[0]) - target) <= tol


def capture_onnx(path, input_shape=None) -> OnnxCapture:
    model, inits, shapes, folded, in_name, dims = _load(path, input_shape)
    shapes[in_name] = tuple(dims)
    nodes = list(model.graph.node)

    entries: list[Entry] = []
    vals: dict[str, str] = {in_name: "input"}
    cl: set[str] = set()  # tensors in channels-last layout (after a Transpose (0, 2, 3, 1))
    unmapped: dict[str, list] = {}
    weights: dict[str, np.ndarray] = {}
    sources: dict[str, str] = {}
    modules: dict[str, str] = {}
    used_params = 0
    names: set[str] = {"input"}

    dead: set[str] = set()  # outputs of unmapped nodes: their consumers are not reported again
    current = [None]

    def miss(kind, where):
        rec = unmapped.setdefault(kind, [0, where])
        rec[0] += 1
        if current[0] is not None:
            dead.update(o for o in current[0].output if o and o not in vals)

    def uname(node, suffix="") -> str:
        raw = node.name or node.output[0]
        path = node_module(node)
        if path:  # the module path, then the node's own part
            raw = path + "." + (raw.rstrip("/").rsplit("/", 1)[-1] if "/" in raw else node.op_type)
        base = re.sub(r"\W", "_", raw + suffix).strip("_") or node.op_type.lower()
        if base[0].isdigit():
            base = "n" + base
        name, k = base, 1
        while name in names:
            k += 1
            name = f"{base}_{k}"
        names.add(name)
        return name

    def per_sample(t):
        s = shapes.get(t)
        if not s:
            return ()
        s = tuple(int(d) for d in s[1:])
        return (s[2], s[0], s[1]) if t in cl and len(s) == 3 else s

    def emit(node, op, fields, srcs, out=None, suffix="", params=None):
        out = out or node.output[0]
        name = uname(node, suffix)
        entries.append(Entry(name, op, fields, [vals[s] for s in srcs], per_sample(out)))
        vals[out] = name
        sources[name] = node.name or node.output[0]
        modules[name] = node_module(node)
        for k, v in (params or {}).items():
            weights[f"{name}.{k}"] = np.ascontiguousarray(v, dtype=np.float32)
        return name

    consumers: dict[str, list] = {}
    for i, n in enumerate(nodes):
        for t in n.input:
            consumers.setdefault(t, []).append(i)
    skip: set[int] = set()

    def only(t):
        """The one node consuming ``t`` (index, node), or (None, None)."""
        c = consumers.get(t, [])
        return (c[0], nodes[c[0]]) if len(c) == 1 else (None, None)

    def other_input(node, t):
        rest = [i for i in node.input if i != t]
        return rest[0] if len(rest) == 1 else None

    def gelu_chain(idx, node):
        """The Erf-GELU pattern starting at this Div/Mul: (indices of its nodes, output), or None."""
        x = node.input[0]
        c = inits.get(node.input[1]) if len(node.input) > 1 else None
        if not (node.op_type == "Div" and _is(c, math.sqrt(2)) or node.op_type == "Mul" and _is(c, 1 / math.sqrt(2))):
            return None
        i1, erf = only(node.output[0])
        if erf is None or erf.op_type != "Erf":
            return None
        i2, add = only(erf.output[0])
        if add is None or add.op_type != "Add" or not _is(inits.get(other_input(add, erf.output[0])), 1.0):
            return None
        i3, m1 = only(add.output[0])
        if m1 is None or m1.op_type != "Mul":
            return None
        o1 = other_input(m1, add.output[0])
        i4, m2 = only(m1.output[0])
        if m2 is None or m2.op_type != "Mul":
            return None
        o2 = other_input(m2, m1.output[0])
        if o1 == x and _is(inits.get(o2), 0.5) or _is(inits.get(o1), 0.5) and o2 == x:
            return [i1, i2, i3, i4], m2.output[0]
        return None

    def bias_of(node, k=2):
        """The bias input: an initializer, or None (absent, or a computed all-zero tensor: the
        dynamo exporter's stand-in for ``bias=False``)."""
        if len(node.input) <= k or not node.input[k]:
            return None
        b = inits.get(node.input[k])
        if b is not None and node.input[k] in folded and not np.any(b):
            return None
        return b

    def chunk_fields(c, start, stop):
        """chunk(chunks, index) fields for channels [start, stop) of c, or None."""
        for n in range(1, c + 1):
            size = -(-c // n)
            if start % size == 0 and min(c, start + size) == stop and start < c:
                return {"chunks": n, "index": start // size}
        return None

    for idx, node in enumerate(nodes):
        if idx in skip:
            continue
        current[0] = node
        if any(i in dead for i in node.input):
            dead.update(node.output)
            continue
        op, a = node.op_type, _attrs(node)
        tensor_in = [i for i in node.input if i in vals]
        where = node.name or node.output[0]
        if not tensor_in:
            miss(f"{op} without a tensor input", where)
            continue
        x = tensor_in[0]
        xs = per_sample(x)
        if x in cl and op not in ("LayerNormalization", "MatMul", "Transpose", "Add", "Mul", "Gelu", "Relu", "Div",
                                  "Sigmoid", "Tanh", "HardSwish", "Identity", "Dropout"):
            miss(f"{op} on a channels-last tensor", where)
            continue
        if op == "Conv":
            w = inits.get(node.input[1])
            if w is None or w.ndim != 4:
                miss("Conv with a computed weight or not 2-d", where)
                continue
            pads = list(a.get("pads", [0, 0, 0, 0]))
            auto = a.get("auto_pad", "NOTSET")
            if auto == "SAME_UPPER":
                padding = "same"
            elif pads[0] == pads[2] and pads[1] == pads[3] and auto in ("NOTSET", "VALID"):
                padding = _pair(pads[:2])
            else:
                miss(f"Conv with asymmetric padding {pads}", where)
                continue
            b = bias_of(node)
            if len(node.input) > 2 and node.input[2] and b is None and node.input[2] not in inits:
                miss("Conv with a computed bias", where)
                continue
            emit(node, "conv2d", {"out_channels": int(w.shape[0]), "kernel_size": _pair(w.shape[2:]),
                                  "stride": _pair(a.get("strides", [1, 1])), "padding": padding,
                                  "dilation": _pair(a.get("dilations", [1, 1])), "groups": int(a.get("group", 1)),
                                  "bias": b is not None}, [x], params={"weight": w, **({"bias": b} if b is not None else {})})
            used_params += w.size + (b.size if b is not None else 0)
        elif op == "ConvTranspose":
            w = inits.get(node.input[1])
            if w is None or w.ndim != 4:
                miss("ConvTranspose with a computed weight or not 2-d", where)
                continue
            pads = list(a.get("pads", [0, 0, 0, 0]))
            if a.get("auto_pad", "NOTSET") != "NOTSET" or pads[0] != pads[2] or pads[1] != pads[3]:
                miss("ConvTranspose with auto_pad or asymmetric padding", where)
                continue
            g = int(a.get("group", 1))
            b = bias_of(node)
            f = {"out_channels": int(w.shape[1]) * g, "kernel_size": _pair(w.shape[2:]),
                 "stride": _pair(a.get("strides", [1, 1])), "padding": _pair(pads[:2]),
                 "output_padding": _pair(a.get("output_padding", [0, 0])),
                 "dilation": _pair(a.get("dilations", [1, 1])), "groups": g, "bias": b is not None}
            name = emit(node, "conv_transpose2d", f, [x], params={"weight": w, **({"bias": b} if b is not None else {})})
            if "output_shape" in a and tuple(int(v) for v in a["output_shape"][-2:]) != per_sample(node.output[0])[1:]:
                miss("ConvTranspose with an output_shape", where)
            del name
            used_params += w.size + (b.size if b is not None else 0)
        elif op == "Gemm":
            w = inits.get(node.input[1])
            if w is None or a.get("transA", 0) or float(a.get("alpha", 1.0)) != 1.0 or float(a.get("beta", 1.0)) != 1.0:
                miss("Gemm other than x @ W^T + b", where)
                continue
            wt = w if a.get("transB", 0) else w.T
            b = bias_of(node)
            if b is not None and b.size != wt.shape[0]:
                miss("Gemm with a broadcast bias", where)
                continue
            emit(node, "linear", {"out_features": int(wt.shape[0]), "bias": b is not None}, [x],
                 params={"weight": wt, **({"bias": b.reshape(-1)} if b is not None else {})})
            used_params += w.size + (b.size if b is not None else 0)
        elif op == "MatMul" and len(node.input) == 2 and node.input[1] in inits and inits[node.input[1]].ndim == 2:
            w = inits[node.input[1]]
            if not (len(xs) == 1 or x in cl):
                miss("MatMul on a channels-first tensor", where)
                continue
            out = node.output[0]
            bias = None
            ai, add = only(out)
            if add is not None and add.op_type == "Add":
                other = other_input(add, out)
                if other in inits and inits[other].size == w.shape[1]:
                    bias = inits[other].reshape(-1)
                    skip.add(ai)
            if x in cl:
                cl.add(out)
            fields = {"out_features": int(w.shape[1]), "bias": bias is not None}
            params = {"weight": w.T, **({"bias": bias} if bias is not None else {})}
            if bias is not None:
                if x in cl:
                    cl.add(add.output[0])
                shapes.setdefault(add.output[0], shapes.get(out))
                emit(node, "linear", fields, [x], out=add.output[0], params=params)
                vals[out] = vals[add.output[0]]
            else:
                emit(node, "linear", fields, [x], params=params)
            used_params += w.size + (bias.size if bias is not None else 0)
        elif op == "BatchNormalization":
            if len(xs) != 3 or a.get("training_mode", 0):
                miss("BatchNormalization not on [N, C, H, W] at inference", where)
                continue
            g, beta, mean, var = (inits.get(i) for i in node.input[1:5])
            if any(v is None for v in (g, beta, mean, var)):
                miss("BatchNormalization with computed statistics", where)
                continue
            emit(node, "batchnorm", {"eps": float(a.get("epsilon", 1e-5))}, [x],
                 params={"weight": g, "bias": beta, "running_mean": mean, "running_var": var})
            used_params += g.size + beta.size
        elif op == "LayerNormalization":
            axis = int(a.get("axis", -1))
            rank = len(shapes.get(x, ())) or len(xs) + 1
            scale = inits.get(node.input[1]) if len(node.input) > 1 else None
            b = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if axis % rank != rank - 1 or not (x in cl or len(xs) == 1):
                miss("LayerNormalization not over the channels (last axis of a channels-last or [N, F] tensor)", where)
                continue
            if scale is None or b is None:
                miss("LayerNormalization without both scale and bias", where)
                continue
            if x in cl:
                cl.add(node.output[0])
            emit(node, "layernorm", {"eps": float(a.get("epsilon", 1e-5))}, [x], params={"weight": scale, "bias": b})
            used_params += scale.size + b.size
        elif op == "Sigmoid":
            mi, mul = only(node.output[0])
            if mul is not None and mul.op_type == "Mul" and other_input(mul, node.output[0]) == x:
                skip.add(mi)
                if x in cl:
                    cl.add(mul.output[0])
                emit(node, "silu", {}, [x], out=mul.output[0])
                continue
            if x in cl:
                cl.add(node.output[0])
            emit(node, "sigmoid", {}, [x])
        elif op in ("Relu", "HardSwish", "Tanh", "Gelu"):
            if x in cl:
                cl.add(node.output[0])
            f = {"approximate": "tanh"} if op == "Gelu" and a.get("approximate", "none") == "tanh" else {}
            emit(node, {"Relu": "relu", "HardSwish": "hardswish", "Tanh": "tanh", "Gelu": "gelu"}[op], f, [x])
        elif op == "HardSigmoid":
            if abs(a.get("alpha", 0.2) - 1 / 6) > 1e-6 or abs(a.get("beta", 0.5) - 0.5) > 1e-6:
                miss("HardSigmoid other than relu6(x + 3) / 6", where)
                continue
            emit(node, "hardsigmoid", {}, [x])
        elif op == "Clip":
            lo = inits.get(node.input[1]) if len(node.input) > 1 and node.input[1] else a.get("min")
            hi = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else a.get("max")
            if _is(lo, 0) and _is(hi, 6):
                emit(node, "relu6", {}, [x])
            elif _is(lo, 0) and (hi is None or np.isinf(float(np.asarray(hi).reshape(-1)[0]))):
                emit(node, "relu", {}, [x])
            else:
                miss("Clip other than [0, 6] or [0, inf)", where)
        elif op == "Softmax":
            if a.get("axis", -1) not in (1, -1) or len(xs) != 1:
                miss("Softmax not over the features", where)
                continue
            emit(node, "softmax", {}, [x])
        elif op in ("Div", "Mul") and (chain := gelu_chain(idx, node)) is not None:
            ids, out = chain
            skip.update(ids)
            if x in cl:
                cl.add(out)
            emit(node, "gelu", {}, [x], out=out)
        elif op in ("Add", "Mul") and len(tensor_in) == 2:
            if (tensor_in[0] in cl) != (tensor_in[1] in cl):
                miss(f"{op} of channels-last and channels-first tensors", where)
                continue
            if x in cl:
                cl.add(node.output[0])
            emit(node, op.lower(), {}, tensor_in)
        elif op == "Mul" and len(node.input) == 2:
            g = inits.get(other_input(node, x))
            c = xs[0] if xs else None
            ok_shape = g is not None and c is not None and g.size == c and (
                (x in cl and g.shape[-1:] == (c,)) or (len(xs) == 3 and x not in cl and g.shape[-3:] == (c, 1, 1)))
            if not ok_shape:
                miss("Mul with a constant other than a per-channel scale", where)
                continue
            if x in cl:
                cl.add(node.output[0])
            emit(node, "layer_scale", {}, [x])
            weights[vals[node.output[0]]] = np.ascontiguousarray(g.reshape(-1), dtype=np.float32)
            used_params += g.size
        elif op in ("Add", "Sub", "Div"):
            miss(f"{op} with a constant" if len(tensor_in) == 1 else op, where)
        elif op == "Concat":
            if a.get("axis") not in (1, -3) or len(tensor_in) != len(node.input) or len(xs) != 3:
                miss(f"Concat on axis {a.get('axis')}", where)
                continue
            if len(tensor_in) == 1:
                vals[node.output[0]] = vals[x]
                continue
            emit(node, "concat", {}, tensor_in)
        elif op in ("Split", "Slice"):
            if len(xs) != 3:
                miss(f"{op} of a tensor that is not [N, C, H, W]", where)
                continue
            c = xs[0]
            if op == "Split":
                axis = int(a.get("axis", 0))
                sizes = a.get("split")
                if sizes is None and len(node.input) > 1 and node.input[1]:
                    sizes = inits.get(node.input[1])
                if sizes is None:
                    n = int(a.get("num_outputs", len(node.output)))
                    size = -(-c // n)
                    sizes = [min(size, c - i * size) for i in range(n)]
                sizes = [int(v) for v in np.asarray(sizes).reshape(-1)]
                bounds = np.cumsum([0] + sizes).tolist()
                pieces = list(zip(node.output, bounds[:-1], bounds[1:]))
            else:
                arrs = [inits.get(i) if len(node.input) > k and node.input[k] else None
                        for k, i in enumerate(list(node.input) + [""] * 4) if 1 <= k <= 4]
                starts, ends, axes, steps = arrs
                if starts is None or ends is None or (len(node.input) > 3 and node.input[3] and axes is None) \
                        or (len(node.input) > 4 and node.input[4] and steps is None):
                    miss("Slice with computed bounds", where)
                    continue
                axes = [0, 1, 2, 3][:len(starts)] if axes is None else axes.reshape(-1).tolist()
                if len(axes) != 1 or (steps is not None and int(steps.reshape(-1)[0]) != 1):
                    miss("Slice of more than one axis or with a step", where)
                    continue
                axis = int(axes[0])
                s, e = int(starts.reshape(-1)[0]), int(ends.reshape(-1)[0])
                s, e = (s + c if s < 0 else s), (e + c if e < 0 else e)
                pieces = [(node.output[0], max(0, min(s, c)), max(0, min(e, c)))]
            if axis % 4 != 1:
                miss(f"{op} not along the channels (axis {axis})", where)
                continue
            bad = False
            for k, (out, s, e) in enumerate(pieces):
                if s == 0 and e == c:
                    vals[out] = vals[x]
                    continue
                f = chunk_fields(c, s, e)
                if f is None:
                    bad = True
                    continue
                emit(node, "chunk", f, [x], out=out, suffix=f"_{k}" if len(pieces) > 1 else "")
            if bad:
                miss(f"{op} into channel pieces other than chunk's (equal sizes, the last one smaller)", where)
        elif op == "Transpose":
            perm = [int(v) for v in a.get("perm", [])]
            if x not in cl and len(xs) == 3 and perm == [0, 2, 3, 1]:
                cl.add(node.output[0])
                vals[node.output[0]] = vals[x]
            elif x in cl and perm == [0, 3, 1, 2]:
                vals[node.output[0]] = vals[x]
            else:
                miss(f"Transpose {perm}", where)
        elif op == "GlobalAveragePool":
            emit(node, "global_avgpool", {}, [x])
        elif op in ("MaxPool", "AveragePool"):
            pads = list(a.get("pads", [0, 0, 0, 0]))
            if pads[0] != pads[2] or pads[1] != pads[3] or a.get("auto_pad", "NOTSET") != "NOTSET":
                miss(f"{op} with asymmetric or automatic padding", where)
                continue
            if op == "AveragePool" and not a.get("count_include_pad", 0) and any(pads):
                miss("AveragePool(count_include_pad=0) with padding", where)
                continue
            k = a["kernel_shape"]
            f = {"kernel_size": _pair(k), "stride": _pair(a.get("strides", [1, 1])), "padding": _pair(pads[:2])}
            if a.get("ceil_mode", 0):
                f["ceil_mode"] = True
            if op == "MaxPool" and _pair(a.get("dilations", [1, 1])) != 1:
                f["dilation"] = _pair(a["dilations"])
            emit(node, "maxpool" if op == "MaxPool" else "avgpool", f, [x])
        elif op in ("Flatten", "Reshape", "Squeeze", "Unsqueeze"):
            out = per_sample(node.output[0])
            if op == "Flatten" and a.get("axis", 1) != 1:
                miss(f"Flatten(axis={a.get('axis')})", where)
            elif op == "Reshape" and len(xs) == 3 and len(out) == 4 and out[0] * out[1] == xs[0] \
                    and out[2:] == xs[1:]:
                # channel shuffle: Reshape [N, g, C/g, H, W] -> Transpose (0, 2, 1, 3, 4) -> Reshape [N, C, H, W]
                ti, tr = only(node.output[0])
                ri, back = only(tr.output[0]) if tr is not None else (None, None)
                if tr is not None and tr.op_type == "Transpose" and list(_attrs(tr).get("perm", [])) == [0, 2, 1, 3, 4] \
                        and back is not None and back.op_type in ("Reshape", "Flatten") \
                        and per_sample(back.output[0]) == xs:
                    skip.update((ti, ri))
                    emit(node, "channel_shuffle", {"groups": int(out[0])}, [x], out=back.output[0])
                else:
                    miss(f"{op} {list(xs)} -> {list(out)}", where)
            elif out == xs or (len(xs) == 1 and len(out) == 1):
                vals[node.output[0]] = vals[x]
            elif len(out) == 1 and len(xs) == 3 and out[0] == math.prod(xs):
                emit(node, "flatten", {}, [x])
            else:
                miss(f"{op} {list(xs)} -> {list(out)}", where)
        elif op == "ReduceMean":
            axes = a.get("axes")
            if axes is None and len(node.input) > 1 and node.input[1] in inits:
                axes = inits[node.input[1]].tolist()
            if len(xs) != 3 or sorted(int(v) % 4 for v in (axes or [])) != [2, 3]:
                miss(f"ReduceMean over {axes}", where)
                continue
            emit(node, "global_avgpool" if a.get("keepdims", 1) else "mean", {}, [x])
        elif op == "Pad":
            mode = a.get("mode", "constant")
            pads = a.get("pads")
            if pads is None and len(node.input) > 1:
                pads = inits.get(node.input[1])
            value = a.get("value", 0.0)
            if len(node.input) > 2 and node.input[2]:
                value = inits.get(node.input[2])
            axes = inits.get(node.input[3]) if len(node.input) > 3 and node.input[3] else None
            if mode != "constant" or pads is None or value is None or len(xs) != 3 or \
                    (len(node.input) > 3 and node.input[3] and axes is None):
                miss(f"Pad other than constant padding of [N, C, H, W] (mode {mode})", where)
                continue
            pads = [int(v) for v in np.asarray(pads).reshape(-1)]
            if axes is not None:
                full = [0] * 8
                for k, ax in enumerate(int(v) % 4 for v in axes.reshape(-1)):
                    full[ax], full[ax + 4] = pads[k], pads[k + len(pads) // 2]
                pads = full
            if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)) or min(pads) < 0:
                miss("Pad of other axes than H and W, or negative", where)
                continue
            t, left, b, r = pads[2], pads[3], pads[6], pads[7]
            emit(node, "pad", {"padding": [left, r, t, b], "value": float(np.asarray(value).reshape(-1)[0])}, [x])
        elif op == "Resize":
            out = per_sample(node.output[0])
            mode = a.get("mode", "nearest")
            ctm = a.get("coordinate_transformation_mode", "half_pixel")
            if len(xs) != 3 or len(out) != 3 or out[0] != xs[0] or a.get("antialias", 0) or \
                    out[1] % xs[1] or out[2] % xs[2] or out[1] // xs[1] != out[2] // xs[2]:
                miss("Resize other than an equal integer scale of H and W", where)
                continue
            f = {"scale_factor": out[1] // xs[1], "mode": "nearest"}
            if mode == "nearest" and ctm == "asymmetric" and a.get("nearest_mode", "round_prefer_floor") == "floor":
                pass
            elif mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel"):
                f["mode"] = "bilinear"
            elif mode == "linear" and ctm == "align_corners":
                f.update(mode="bilinear", align_corners=True)
            else:
                miss(f"Resize mode {mode} with {ctm}", where)
                continue
            emit(node, "upsample", f, [x])
        elif op in ("Identity", "Dropout"):
            if x in cl:
                cl.add(node.output[0])
            vals[node.output[0]] = vals[x]
        else:
            miss(op, where)
    outs = [o.name for o in model.graph.output]
    if not unmapped and (len(outs) != 1 or outs[0] not in vals):
        miss("a graph output that is not the one mapped result", outs[0] if outs else "-")
    if unmapped:
        items = sorted(unmapped.items(), key=lambda kv: -kv[1][0])
        listing = "; ".join(f"{k} x{n} (first at {w})" for k, (n, w) in items)
        raise UnmappedError(f"cannot import {path}: {len(items)} operator kind(s) have no archcalc mapping: {listing}")
    # layers not on the path to the output (a dangling Shape user was folded away; anything else is kept)
    return OnnxCapture(entries, tuple(int(d) for d in dims[1:]), int(used_params), {},
                       f"ONNX {model.producer_name or ''}".strip(), weights, sources, modules)


def onnx_weights(path) -> dict:
    """The ONNX file's initializers under the executor's keys of its imported spec's layers."""
    return capture_onnx(path).weights


def onnx_text(path, input_shape=None):
    from archcalc.importers.spec_writer import spec_text

    cap = capture_onnx(path, input_shape)
    notes = [f"Imported by archcalc from the ONNX file {path}; params on the inference path = {cap.params_total}."]
    return spec_text(str(path), cap.entries, cap.input_shape, notes), cap
