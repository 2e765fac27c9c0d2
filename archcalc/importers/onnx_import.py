"""Import an ONNX model as a spec: onnx's shape inference, then one archcalc op per node.

Mapped operators (the standard CNN set): Conv, Gemm, MatMul (+ Add of a bias),
BatchNormalization, Relu, Clip(0, 6), Sigmoid, HardSigmoid (1/6, 1/2), HardSwish, Tanh,
Erf-GELU (``x * 0.5 * (1 + erf(x / sqrt 2))``, as a pattern), Softmax, Mul, Add, Concat,
Split, GlobalAveragePool, AveragePool, MaxPool, Flatten, Reshape (to ``[N, -1]``),
ReduceMean over H, W, Identity, Dropout. The world is closed as for PyTorch: every
unmapped operator is listed once with its count and first node. Layer names are the
node names (or output names), with characters other than letters, digits and ``_``
replaced by ``_`` so that names stay flat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


from archcalc.errors import SpecError
from archcalc.importers.common import Entry, UnmappedError


@dataclass
class OnnxCapture:
    entries: list
    input_shape: tuple
    params_total: int
    off_path: dict = field(default_factory=dict)
    model_class: str = "ONNX"


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pair(v) -> int | list:
    v = [int(x) for x in v]
    return v[0] if len(set(v)) == 1 else v


def capture_onnx(path, input_shape=None) -> OnnxCapture:
    try:
        import onnx
        from onnx import numpy_helper, shape_inference
    except ImportError:
        raise SpecError("importing .onnx files needs the onnx package (pip install 'archcalc[onnx]')") from None
    try:
        model = onnx.load(str(path))
    except Exception as e:  # noqa: BLE001 - a bad file is bad input
        raise SpecError(f"{path}: not a readable ONNX model ({type(e).__name__})") from None
    graph = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for n in graph.node:  # Constant nodes are initializers too
        if n.op_type == "Constant":
            inits[n.output[0]] = numpy_helper.to_array(_attrs(n)["value"])
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise SpecError(f"{path}: expected one image input, found {len(inputs)}")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if input_shape is not None:
        dims = [1] + list(input_shape)
        inputs[0].type.tensor_type.shape.ClearField("dim")
        for d in dims:
            inputs[0].type.tensor_type.shape.dim.add().dim_value = int(d)
    if len(dims) != 4 or min(dims[1:]) < 1:
        raise SpecError.naming("{path}: the input must be [N, C, H, W] with known C, H, W; give {input_shape} CxHxW",
                               "input_shape", path=path)
    model = shape_inference.infer_shapes(model)
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.output) + list(model.graph.input):
        dd = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = tuple(dd)
    shapes[inputs[0].name] = tuple(dims)

    entries: list[Entry] = []
    vals: dict[str, str] = {inputs[0].name: "input"}
    unmapped: dict[str, list] = {}
    used_params = 0
    names: set[str] = {"input"}

    def miss(kind, where):
        rec = unmapped.setdefault(kind, [0, where])
        rec[0] += 1

    def uname(node) -> str:
        base = re.sub(r"\W", "_", node.name or node.output[0]).strip("_") or node.op_type.lower()
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
        return tuple(int(d) for d in s[1:]) if s else ()

    def emit(node, op, fields, srcs):
        name = uname(node)
        entries.append(Entry(name, op, fields, [vals[s] for s in srcs], per_sample(node.output[0])))
        vals[node.output[0]] = name

    consumers: dict[str, list] = {}
    for n in model.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    skip: set[int] = set()
    nodes = list(model.graph.node)
    for idx, node in enumerate(nodes):
        if idx in skip or node.op_type == "Constant":
            continue
        op, a = node.op_type, _attrs(node)
        tensor_in = [i for i in node.input if i in vals]
        where = node.name or node.output[0]
        if not tensor_in:
            if op == "Identity" and node.input[0] in inits:
                inits[node.output[0]] = inits[node.input[0]]
                continue
            miss(f"{op} on constants", where)
            continue
        x = tensor_in[0]
        if op == "Conv":
            w = inits.get(node.input[1])
            if w is None or w.ndim != 4:
                miss("Conv with a computed weight", where)
                continue
            pads = a.get("pads", [0, 0, 0, 0])
            auto = a.get("auto_pad", b"NOTSET")
            auto = auto.decode() if isinstance(auto, bytes) else auto
            if auto in ("SAME_UPPER",):
                padding = "same"
            elif pads[0] == pads[2] and pads[1] == pads[3] and auto in ("NOTSET", "VALID"):
                padding = _pair(pads[:2])
            else:
                miss(f"Conv with asymmetric padding {list(pads)}", where)
                continue
            bias = len(node.input) > 2 and node.input[2] in inits
            emit(node, "conv2d", {"out_channels": int(w.shape[0]), "kernel_size": _pair(w.shape[2:]),
                                  "stride": _pair(a.get("strides", [1, 1])), "padding": padding,
                                  "dilation": _pair(a.get("dilations", [1, 1])), "groups": int(a.get("group", 1)),
                                  "bias": bool(bias)}, [x])
            used_params += w.size + (inits[node.input[2]].size if bias else 0)
        elif op == "Gemm":
            w = inits.get(node.input[1])
            if w is None or a.get("transA", 0) or float(a.get("alpha", 1.0)) != 1.0 or float(a.get("beta", 1.0)) != 1.0:
                miss("Gemm other than x @ W^T + b", where)
                continue
            out = w.shape[0] if a.get("transB", 0) else w.shape[1]
            bias = len(node.input) > 2 and node.input[2] in inits
            emit(node, "linear", {"out_features": int(out), "bias": bool(bias)}, [x])
            used_params += w.size + (inits[node.input[2]].size if bias else 0)
        elif op == "MatMul" and node.input[1] in inits and inits[node.input[1]].ndim == 2:
            w = inits[node.input[1]]
            nxt = consumers.get(node.output[0], [])
            bias = None
            if len(nxt) == 1 and nxt[0].op_type == "Add":
                other = [i for i in nxt[0].input if i != node.output[0]]
                if other and other[0] in inits and inits[other[0]].size == w.shape[1]:
                    bias = inits[other[0]]
                    skip.add(nodes.index(nxt[0]))
            if len(per_sample(x)) != 1:
                miss("MatMul on a non-flat tensor", where)
                continue
            emit(node, "linear", {"out_features": int(w.shape[1]), "bias": bias is not None}, [x])
            if bias is not None:
                vals[nxt[0].output[0]] = vals[node.output[0]]
            used_params += w.size + (bias.size if bias is not None else 0)
        elif op == "BatchNormalization":
            emit(node, "batchnorm", {"eps": float(a.get("epsilon", 1e-5))}, [x])
            used_params += inits[node.input[1]].size + inits[node.input[2]].size
        elif op in ("Relu", "Sigmoid", "HardSwish", "Tanh"):
            emit(node, {"Relu": "relu", "Sigmoid": "sigmoid", "HardSwish": "hardswish", "Tanh": "tanh"}[op], {}, [x])
        elif op == "HardSigmoid":
            if abs(a.get("alpha", 0.2) - 1 / 6) > 1e-6 or abs(a.get("beta", 0.5) - 0.5) > 1e-6:
                miss("HardSigmoid other than relu6(x + 3) / 6", where)
                continue
            emit(node, "hardsigmoid", {}, [x])
        elif op == "Clip":
            lo = inits.get(node.input[1]) if len(node.input) > 1 and node.input[1] else a.get("min")
            hi = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else a.get("max")
            if lo is not None and hi is not None and float(lo) == 0 and float(hi) == 6:
                emit(node, "relu6", {}, [x])
            elif lo is not None and float(lo) == 0 and hi is None:
                emit(node, "relu", {}, [x])
            else:
                miss("Clip other than [0, 6]", where)
        elif op == "Softmax":
            if a.get("axis", -1) not in (1, -1) or len(per_sample(x)) != 1:
                miss("Softmax not over the features", where)
                continue
            emit(node, "softmax", {}, [x])
        elif op in ("Add", "Mul"):
            if len(tensor_in) != 2:
                miss(f"{op} with a constant", where)
                continue
            emit(node, op.lower(), {}, tensor_in)
        elif op == "Concat":
            if a.get("axis") not in (1, -3) or len(tensor_in) != len(node.input):
                miss(f"Concat on axis {a.get('axis')}", where)
                continue
            if len(tensor_in) == 1:
                vals[node.output[0]] = vals[x]
                continue
            emit(node, "concat", {}, tensor_in)
        elif op == "GlobalAveragePool":
            emit(node, "global_avgpool", {}, [x])
        elif op in ("MaxPool", "AveragePool"):
            pads = a.get("pads", [0, 0, 0, 0])
            if pads[0] != pads[2] or pads[1] != pads[3]:
                miss(f"{op} with asymmetric padding", where)
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
        elif op in ("Flatten", "Reshape"):
            src, out = per_sample(x), per_sample(node.output[0])
            if op == "Flatten" and a.get("axis", 1) != 1:
                miss(f"Flatten(axis={a.get('axis')})", where)
            elif src == out or len(src) == 1 and len(out) == 1:
                vals[node.output[0]] = vals[x]
            elif len(out) == 1 and len(src) == 3:
                emit(node, "flatten", {}, [x])
            else:
                miss(f"{op} {list(src)} -> {list(out)}", where)
        elif op == "ReduceMean":
            axes = a.get("axes")
            if axes is None and len(node.input) > 1 and node.input[1] in inits:
                axes = inits[node.input[1]].tolist()
            if sorted(int(v) % 4 for v in (axes or [])) != [2, 3]:
                miss(f"ReduceMean over {axes}", where)
                continue
            emit(node, "global_avgpool" if a.get("keepdims", 1) else "mean", {}, [x])
        elif op in ("Identity", "Dropout"):
            vals[node.output[0]] = vals[x]
        elif op == "Split":
            miss("Split", where)  # (chunk per output would go here)
        else:
            miss(op, where)
    if unmapped:
        items = sorted(unmapped.items(), key=lambda kv: -kv[1][0])
        listing = "; ".join(f"{k} x{n} (first at {w})" for k, (n, w) in items)
        raise UnmappedError(f"cannot import {path}: {len(items)} operator kind(s) have no archcalc mapping: {listing}")
    return OnnxCapture(entries, tuple(int(d) for d in dims[1:]), int(used_params), {},
                       f"ONNX {model.producer_name or ''}".strip())


def onnx_text(path, input_shape=None):
    from archcalc.importers.spec_writer import spec_text

    cap = capture_onnx(path, input_shape)
    notes = [f"Imported by archcalc from the ONNX file {path}; params on the inference path = {cap.params_total}."]
    return spec_text(str(path), cap.entries, cap.input_shape, notes), cap
