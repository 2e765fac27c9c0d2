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
import re


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
              extra_vars: dict | None = None, module_types: dict | None = None) -> str:
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
    layers, blocks = _body(entries, module_types)
    if blocks:
        out.append("blocks:")
        out += blocks
    out.append("layers:")
    out += layers
    return "\n".join(out) + "\n"


class _NotBlockable(Exception):
    pass


class _Tree:
    def __init__(self, path: str, parent=None):
        self.path, self.parent = path, parent
        self.items: list = []
        self.children: dict = {}
        self.first = None  # first entry below

    @property
    def comp(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    def last(self):
        item = self.items[-1]
        return item.last() if isinstance(item, _Tree) else item


def _tree(entries: list) -> _Tree:
    root = _Tree("")
    closed: set[str] = set()
    for e in entries:
        parts = e.name.split(".")
        node = root
        for i, comp in enumerate(parts[:-1]):
            child = node.children.get(comp)
            if child is None or (node.items and node.items[-1] is not child):
                path = ".".join(parts[:i + 1])
                if path in closed or child is not None:
                    raise ValueError(f"the layers of '{path}' are not contiguous in execution order (at {e.name})")
                child = _Tree(path, node)
                node.children[comp] = child
                for it in node.items:
                    if isinstance(it, _Tree):
                        closed.add(it.path)
                node.items.append(child)
            node = child
        node.items.append(e)
        n = node
        while n is not None and n.first is None:
            n.first = e
            n = n.parent
    return root


class _Scope:
    """Frames of local names while rendering; block mode forbids names outside the block."""

    def __init__(self):
        self.frames: list[dict] = [{}]  # local -> full layer name (groups: their last layer)
        self.inputs: list[str] = ["input"]
        self.block_base: int | None = None

    def ref(self, src: str) -> str:
        lo = self.block_base if self.block_base is not None else 0
        for depth in range(len(self.frames) - 1, lo - 1, -1):
            for local, full in self.frames[depth].items():
                if full == src and not any(local in self.frames[d] for d in range(depth + 1, len(self.frames))):
                    return _q(local)
        if src == self.inputs[-1]:
            return "in"
        if self.block_base is not None:
            raise _NotBlockable(src)
        if len(src.split(".")) == 1 and any(src in f for f in self.frames):
            raise ValueError(f"reference to '{src}' would be shadowed by a local name")
        return _q(src)


class _Writer:
    def __init__(self, module_types: dict):
        self.types = module_types  # module path -> class name
        self.prev = "input"
        self.scope = _Scope()
        self.instances: dict = {}  # (block key) -> list of (call id, values)
        self.calls: list = []  # call id -> (key, values)
        self.blocks: dict = {}  # key -> template lines

    # ------------------------------------------------------ entries --
    def entry(self, e, indent: str, values: list | None) -> str:
        parts = e.name.split(".")
        fields = [f"op: {e.op}", f"name: {_q(parts[-1])}"]
        refs = list(e.inputs)
        if refs and not (len(refs) == 1 and refs[0] == self.prev):
            resolved = [self.scope.ref(r) for r in refs]
            if len(refs) == 1 and e.op not in ("add", "concat", "mul"):
                fields.append(f"input: {resolved[0]}")
            else:
                fields.append("inputs: [" + ", ".join(resolved) + "]")
        for k, v in e.fields.items():
            if _is_default(e.op, k, v):
                continue
            if values is not None and not isinstance(v, str) and not (isinstance(v, list) and any(isinstance(x, str) for x in v)):
                values.append((f"{'_'.join(parts[len(self.scope_prefix):])}_{k}", v))
                fields.append(f"{k}: \x00{len(values) - 1}\x00")
            else:
                fields.append(f"{k}: {_scalar(v)}")
        self.scope.frames[-1][parts[-1]] = e.name
        self.prev = e.name
        return f"{indent}- {{{', '.join(fields)}}}"

    def group_head(self, node: _Tree, indent: str, lines: list, key: str = "name") -> None:
        first_in = node.first.inputs[0] if node.first.inputs else self.prev
        head = f"{indent}- name: {_q(node.comp)}"
        if first_in != self.prev:
            head += f"\n{indent}  input: {self.scope.ref(first_in)}"
        lines.append(head)
        self.prev = first_in

    def open(self, node: _Tree) -> None:
        self.scope.frames.append({})
        self.scope.inputs.append(self.prev)

    def close(self, node: _Tree) -> None:
        self.scope.frames.pop()
        self.scope.inputs.pop()
        self.scope.frames[-1][node.comp] = node.last().name

    def body(self, node: _Tree, indent: str, values: list | None) -> list[str]:
        lines: list[str] = []
        for item in node.items:
            if not isinstance(item, _Tree):
                lines.append(self.entry(item, indent, values))
                continue
            if values is None and self.blockable(item):
                call = self.try_block(item, indent)
                if call is not None:
                    lines.append(call)
                    continue
            self.group_head(item, indent, lines)
            lines.append(f"{indent}  body:")
            self.open(item)
            lines += self.body(item, indent + "  ", values)
            self.close(item)
        return lines

    def blockable(self, node: _Tree) -> bool:
        t = self.types.get(node.path, "")
        return bool(t) and t not in ("Sequential", "ModuleList", "ModuleDict")

    def try_block(self, node: _Tree, indent: str) -> str | None:
        saved = (self.prev, [dict(f) for f in self.scope.frames], list(self.scope.inputs), self.scope.block_base)
        first_in = node.first.inputs[0] if node.first.inputs else self.prev
        try:
            head = self.scope.ref(first_in) if first_in != self.prev else None
            self.prev = first_in
            self.scope.frames.append({})
            self.scope.inputs.append(first_in)
            self.scope.block_base = len(self.scope.frames) - 1
            self.scope_prefix = node.path.split(".")
            values: list = []
            lines = self.body(node, "      ", values)
        except _NotBlockable:
            self.prev, frames, self.scope.inputs, self.scope.block_base = saved
            self.scope.frames = frames
            return None
        self.scope.frames.pop()
        self.scope.inputs.pop()
        self.scope.block_base = saved[3]
        self.scope.frames[-1][node.comp] = node.last().name
        key = (self.types[node.path], "\n".join(lines), tuple(n for n, _ in values))
        cid = len(self.calls)
        self.calls.append((key, [v for _, v in values], node.comp, head))
        self.instances.setdefault(key, []).append(cid)
        return f"{indent}\x01{cid}\x01"

    # ------------------------------------------------------- output --
    def finish(self, lines: list[str]) -> tuple[list[str], list[str]]:
        names: dict = {}
        used: set = set()
        block_lines: list[str] = []
        args_of: dict = {}
        for key, cids in self.instances.items():
            base = re.sub(r"(?<!^)(?=[A-Z])", "_", key[0]).lower()
            name, i = base, 2
            while name in used:
                name, i = f"{base}_{i}", i + 1
            used.add(name)
            names[key] = name
            rows = [self.calls[c][1] for c in cids]
            varying = [j for j in range(len(key[2])) if any(r[j] != rows[0][j] for r in rows)]
            arg_names = {}
            taken: set = set()
            columns: dict = {}
            for j in varying:
                col = tuple(repr(r[j]) for r in rows)
                if col in columns:  # always equal to an earlier argument: one argument
                    arg_names[j] = columns[col]
                    continue
                a = re.sub(r"\W", "_", key[2][j])
                a = a if not a[0].isdigit() else "a_" + a
                while a in taken:
                    a += "_"
                taken.add(a)
                arg_names[j] = a
                columns[col] = a
            args_of[key] = arg_names
            body = key[1]
            for j in range(len(key[2])):
                body = body.replace(f"\x00{j}\x00", arg_names[j] if j in arg_names else _scalar(rows[0][j]))
            block_lines.append(f"  {name}:")
            if arg_names:
                block_lines.append("    args: {" + ", ".join(f"{a}: null" for a in dict.fromkeys(arg_names.values())) + "}")
            block_lines.append("    body:")
            block_lines += [line[2:] for line in body.split("\n")]
        out = []
        for line in lines:
            m = re.fullmatch(r"( *)\x01(\d+)\x01", line)
            if not m:
                out.append(line)
                continue
            key, values, comp, head = self.calls[int(m.group(2))]
            fields = [f"block: {names[key]}", f"name: {_q(comp)}"]
            if head is not None:
                fields.append(f"input: {head}")
            first = {}
            for j, a in args_of[key].items():
                first.setdefault(a, j)
            fields += [f"{a}: {_scalar(values[j])}" for a, j in first.items()]
            out.append(f"{m.group(1)}- {{{', '.join(fields)}}}")
        return out, block_lines


def _body(entries: list, module_types: dict | None = None) -> tuple[list[str], list[str]]:
    w = _Writer(module_types or {})
    lines = w.body(_tree(entries), "", None)
    return w.finish(lines)


def _is_default(op: str, key: str, value) -> bool:
    from archcalc.ops import REGISTRY

    f = REGISTRY[op].model_fields.get(key)
    return f is not None and not f.is_required() and f.default is not None and f.default == value \
        and type(f.default) is type(value)
