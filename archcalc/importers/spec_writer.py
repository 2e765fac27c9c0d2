"""Write imported entries (full dotted names, fields, inputs) as a readable spec (YAML text).

The dotted names become nested groups (``layer1`` > ``0`` > ``conv1``), so the built
network has exactly the imported names. An entry names its input only when it is not the
previous layer. The input's H and W become the var ``resolution`` (``height``/``width``
when they differ) and the last conv/linear's output count the var ``classes``.

>>> from types import SimpleNamespace as E
>>> text = spec_text("Tiny", [E(name="fc", op="linear", fields={"out_features": 10}, inputs=["input"], shape=(10,))],
...                  (8,), notes=[])
>>> print(text.split("layers:")[1].strip())
- {op: linear, name: "fc", out_features: classes}
"""

from __future__ import annotations

import json
import math


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v) or math.isnan(v):
            raise ValueError(f"cannot write {v} in a spec")
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, str) and v.isidentifier():
        return v  # a word (padding: same) or a var name (classes)
    return json.dumps(str(v))


def _q(name: str) -> str:
    return json.dumps(name)


def spec_text(title: str, entries: list, input_shape: tuple, notes: list[str], description: str = "",
              extra_vars: dict | None = None) -> str:
    """The spec YAML of ``entries`` (objects with ``name``, ``op``, ``fields``, ``inputs``, ``shape``)."""
    entries = list(entries)
    vars_: dict = {}
    if len(input_shape) == 3:
        c, h, w = input_shape
        if h == w:
            vars_["resolution"] = h
            inp = f"[{c}, resolution, resolution]"
        else:
            vars_["height"], vars_["width"] = h, w
            inp = f"[{c}, height, width]"
    else:
        inp = "[" + ", ".join(str(d) for d in input_shape) + "]"
    last = entries[-1] if entries else None
    if last is not None and len(last.shape) == 1:
        for e in reversed(entries):
            key = {"linear": "out_features", "conv2d": "out_channels"}.get(e.op)
            if key:
                if e.fields.get(key) == last.shape[0]:
                    vars_["classes"] = last.shape[0]
                    e.fields = dict(e.fields, **{key: "classes"})
                break
    vars_.update(extra_vars or {})
    out = [f"name: {_q(title)}"]
    if description:
        out.append(f"description: {_q(description)}")
    out.append("vars:")
    out += [f"  {k}: {_scalar(v)}" for k, v in vars_.items()]
    out.append(f"input: {inp}")
    if notes:
        out.append("notes:")
        out += [f"  - {_q(n)}" for n in notes]
    out.append("layers:")
    out += _body(entries)
    return "\n".join(out) + "\n"


def _body(entries: list) -> list[str]:
    lines: list[str] = []
    open_path: list[str] = []  # components of the open groups
    closed: set[str] = set()
    locals_: list[set] = [set()]  # local names per open frame (root first)
    prev = "input"
    for e in entries:
        parts = e.name.split(".")
        group, local = parts[:-1], parts[-1]
        n = 0
        while n < min(len(open_path), len(group)) and open_path[n] == group[n]:
            n += 1
        while len(open_path) > n:  # close groups
            closed.add(".".join(open_path))
            locals_[-2].add(open_path[-1])
            open_path.pop()
            locals_.pop()
        for comp in group[n:]:  # open groups
            path = ".".join(open_path + [comp])
            if path in closed:
                raise ValueError(f"the layers of '{path}' are not contiguous in execution order (at {e.name})")
            indent = "  " * len(open_path)
            lines.append(f"{indent}- name: {_q(comp)}")
            lines.append(f"{indent}  body:")
            open_path.append(comp)
            locals_.append(set())
        indent = "  " * len(open_path)
        fields = [f"op: {e.op}", f"name: {_q(local)}"]
        refs = list(e.inputs)
        if refs and not (len(refs) == 1 and refs[0] == prev):
            resolved = [_ref(r, open_path, locals_) for r in refs]
            if len(refs) == 1 and e.op not in ("add", "concat", "mul"):
                fields.append(f"input: {resolved[0]}")
            else:
                fields.append("inputs: [" + ", ".join(resolved) + "]")
        fields += [f"{k}: {_scalar(v)}" for k, v in e.fields.items() if not _is_default(e.op, k, v)]
        lines.append(f"{indent}- {{{', '.join(fields)}}}")
        locals_[-1].add(local)
        prev = e.name
    return lines


def _is_default(op: str, key: str, value) -> bool:
    from archcalc.ops import REGISTRY

    f = REGISTRY[op].model_fields.get(key)
    return f is not None and not f.is_required() and f.default is not None and f.default == value \
        and type(f.default) is type(value)


def _ref(src: str, open_path: list[str], locals_: list[set]) -> str:
    """How to name ``src`` from the current scope (the builder looks up local names first)."""
    parts = src.split(".")
    # a layer of an open frame is best named locally
    for depth in range(len(open_path), -1, -1):
        if parts[:-1] == open_path[:depth] and len(parts) == depth + 1:
            shadowed = any(parts[-1] in locals_[d] for d in range(depth + 1, len(open_path) + 1))
            if not shadowed and parts[-1] in locals_[depth]:
                return _q(parts[-1])
    if len(parts) == 1:
        if any(src in names for names in locals_):
            raise ValueError(f"reference to '{src}' would be shadowed by a local name")
        return _q(src)
    return _q(src)
