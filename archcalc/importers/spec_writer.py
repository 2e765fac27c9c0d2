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
        self.repeats: list = []  # repeat id -> (iteration name prefix, call ids)
        self.stages: list = []  # stage id -> (group name, repeat id)

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
            default = _is_default(e.op, k, v)
            if values is not None and not isinstance(v, str) and not (isinstance(v, list) and any(isinstance(x, str) for x in v)):
                # in a block every number is a placeholder (defaults too, so that calls differing
                # only in a default share one block); a constant default is dropped in finish()
                values.append((f"{'_'.join(parts[len(self.scope_prefix):])}_{k}", v, default))
                fields.append(f"{k}: \x00{len(values) - 1}\x00")
            elif not default:
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
        segments: list = []  # (comp, call id or None, lines)
        for item in node.items:
            if not isinstance(item, _Tree):
                segments.append((None, None, [self.entry(item, indent, values)]))
                continue
            if values is None and self.blockable(item):
                call = self.try_block(item, indent)
                if call is not None:
                    segments.append((item.comp, int(call.strip("\x01 ")), [call]))
                    continue
            lines = []
            self.group_head(item, indent, lines)
            lines.append(f"{indent}  body:")
            self.open(item)
            inner = self.body(item, indent + "  ", values)
            self.close(item)
            if "\n" not in lines[0] and len(inner) == 1 and inner[0].lstrip().startswith("\x02"):
                # a group that is one repeat (a ResNet layer): maybe a call of a shared stage block
                self.stages.append((item.comp, int(inner[0].strip("\x02 "))))
                lines = [f"{indent}\x03{len(self.stages) - 1}\x03"]
            else:
                lines += inner
            segments.append((item.comp, None, lines))
        return self.fold(segments, indent)

    def fold(self, segments: list, indent: str) -> list[str]:
        """Runs of block calls named ``P0, P1, ... P(n-1)`` (a Sequential's children) become one
        ``repeat`` (named ``P``: its iterations get exactly those names). Written out in
        finish(), and only where the repeat is shorter than the calls."""
        out: list[str] = []
        i = 0
        while i < len(segments):
            run = self._run(segments, i)
            if len(run) >= 2:
                rid = len(self.repeats)
                self.repeats.append((run[0][0], [cid for _, cid in run]))
                out.append(f"{indent}\x02{rid}\x02")
                i += len(run)
                continue
            out += segments[i][2]
            i += 1
        return out

    def _run(self, segments: list, start: int) -> list:
        comp, cid, _ = segments[start]
        m = re.fullmatch(r"(.*?)(0)", comp or "")
        if cid is None or not m or (m.group(1) and m.group(1)[-1].isdigit()):
            return []
        base = m.group(1)
        run = [(base, cid)]
        for comp, cid, _ in segments[start + 1:]:
            if cid is None or comp != f"{base}{len(run)}" or self.calls[cid][3] is not None:
                break
            run.append((base, cid))
        return run

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
        key = (self.types[node.path], "\n".join(lines), tuple(n for n, _, _ in values))
        cid = len(self.calls)
        self.calls.append((key, [v for _, v, _ in values], node.comp, head, [d for _, _, d in values]))
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
                if j in arg_names:
                    body = body.replace(f"\x00{j}\x00", arg_names[j])
                elif self.calls[cids[0]][4][j]:  # the op's default in every call: not written
                    body = re.sub(f", [^,{{}}]+: \x00{j}\x00", "", body)
                else:
                    body = body.replace(f"\x00{j}\x00", _scalar(rows[0][j]))
            block_lines.append(f"  {name}:")
            if arg_names:
                block_lines.append("    args: {" + ", ".join(f"{a}: null" for a in dict.fromkeys(arg_names.values())) + "}")
            block_lines.append("    body:")
            block_lines += [line[2:] for line in body.split("\n")]
        def arguments(cid: int) -> tuple[str, list]:
            key, values = self.calls[cid][:2]
            first: dict = {}
            for j, a in args_of[key].items():
                first.setdefault(a, j)
            return names[key], [(a, values[j]) for a, j in first.items()]

        def call_line(cid: int, indent: str) -> str:
            comp, head = self.calls[cid][2:4]
            block, args = arguments(cid)
            fields = [f"block: {block}", f"name: {_q(comp)}"]
            if head is not None:
                fields.append(f"input: {head}")
            fields += [f"{a}: {_scalar(v)}" for a, v in args]
            return f"{indent}- {{{', '.join(fields)}}}"

        def repeat_lines(rid: int, indent: str) -> list[str]:
            base, cids = self.repeats[rid]
            plan = _plan([arguments(c) for c in cids])
            folded = _repeat_lines(base, plan, len(cids), self.calls[cids[0]][3], indent)
            # a repeat where it is no longer than the calls and mostly runs of the same call
            # (not one condition per iteration, as MobileNetV2's features would be)
            if len(folded) <= len(cids) and 2 * len(plan) <= len(cids):
                return folded
            return [call_line(c, indent) for c in cids]

        stage_calls = self.stage_blocks(arguments, used, block_lines)
        out = []
        for line in lines:
            m = re.fullmatch(r"( *)([\x01-\x03])(\d+)[\x01-\x03]", line)
            if not m:
                out.append(line)
                continue
            indent, kind, k = m.group(1), m.group(2), int(m.group(3))
            if kind == "\x01":
                out.append(call_line(k, indent))
            elif kind == "\x02":
                out += repeat_lines(k, indent)
            elif k in stage_calls:
                out.append(f"{indent}- {{{stage_calls[k]}}}")
            else:
                out += [f"{indent}- name: {_q(self.stages[k][0])}", f"{indent}  body:"]
                out += repeat_lines(self.stages[k][1], indent + "  ")
        return out, block_lines

    def stage_blocks(self, arguments, used: set, block_lines: list) -> dict:
        """Groups that are one repeat of the same shape (ResNet's layer1..layer4: a projecting
        unit, then n - 1 plain ones) become calls of one block with the count ``n`` and the
        differing values as arguments. Returns stage id -> the call's fields."""
        shapes: dict = {}
        for sid, (_, rid) in enumerate(self.stages):
            base, cids = self.repeats[rid]
            if self.calls[cids[0]][3] is not None:
                continue
            n, plan = len(cids), _plan([arguments(c) for c in cids])
            if any(len(col) > 1 and any(repr(x) != repr(col[0]) for x in col) for _, _, _, args in plan for _, col in args):
                continue  # values that vary inside the repeat: not one stage shape
            shape = (base, tuple((blk, a, b if b < n else None, tuple(arg for arg, _ in args)) for blk, a, b, args in plan))
            columns = [n] + [col[0] for _, _, _, args in plan for _, col in args]
            shapes.setdefault(shape, []).append((sid, columns))
        calls: dict = {}
        for (base, runs), members in shapes.items():
            if len(members) < 2:
                continue
            name, i = "stage", 2
            while name in used:
                name, i = f"stage_{i}", i + 1
            used.add(name)
            labels = ["n"] + [arg for _, _, _, args in runs for arg in args]
            rows = [cols for _, cols in members]
            given: dict = {}  # column -> argument name (None: the same in every call)
            seen: dict = {}
            taken: set = set()
            for j, label in enumerate(labels):
                col = tuple(repr(r[j]) for r in rows)
                if len(set(col)) == 1:
                    given[j] = None
                elif col in seen:
                    given[j] = seen[col]
                else:
                    a = label
                    while a in taken:
                        a += "_"
                    taken.add(a)
                    given[j] = seen[col] = a

            def text(j: int, given=given, rows=rows) -> str:
                return given[j] if given[j] is not None else _scalar(rows[0][j])

            block_lines.append(f"  {name}:")
            args = list(dict.fromkeys(a for a in given.values() if a))
            if args:
                block_lines.append("    args: {" + ", ".join(f"{a}: null" for a in args) + "}")
            block_lines += ["    body:", f"    - repeat: {text(0)}"]
            if base:
                block_lines.append(f"      name: {_q(base)}")
            if len(runs) > 1:
                block_lines.append("      as: i")
            block_lines.append("      body:")
            j = 1
            for blk, a, b, arg_names in runs:
                fields = [f"block: {blk}", 'name: ""']
                if len(runs) > 1:
                    cond = f"i == {a}" if b == a + 1 else f"i >= {a}" if b is None else \
                        f"i < {b}" if a == 0 else f"i >= {a} and i < {b}"
                    fields.append(f'if: "{cond}"')
                for arg in arg_names:
                    fields.append(f"{arg}: {text(j)}")
                    j += 1
                block_lines.append(f"      - {{{', '.join(fields)}}}")
            for sid, cols in members:
                fields = [f"block: {name}", f"name: {_q(self.stages[sid][0])}"]
                first: dict = {}
                for j, a in given.items():
                    if a and a not in first:
                        first[a] = j
                fields += [f"{a}: {_scalar(cols[j])}" for a, j in first.items()]
                calls[sid] = ", ".join(fields)
        return calls


def _plan(calls: list) -> list:
    """Runs of the same block in a repeat's calls ((block, [(arg, value)]) per iteration):
    [(block, first, end, [(arg, values in the run)])]."""
    runs: list = []
    for i, (block, _) in enumerate(calls):
        if runs and runs[-1][0] == block:
            runs[-1][2] = i + 1
        else:
            runs.append([block, i, i + 1])
    return [(block, a, b, [(arg, [calls[i][1][k][1] for i in range(a, b)]) for k, (arg, _) in enumerate(calls[a][1])])
            for block, a, b in runs]


def _repeat_lines(base: str, plan: list, n: int, head, indent: str) -> list[str]:
    """A ``repeat`` of ``n`` calls: one conditional call per run of the same block; an
    argument that varies in a run is a list indexed by the iteration."""
    body, indexed = [], False
    for block, a, b, args in plan:
        fields = [f"block: {block}", 'name: ""']
        cond = None if (a, b) == (0, n) else f"i == {a}" if b == a + 1 else \
            f"i < {b}" if a == 0 else f"i >= {a}" if b == n else f"i >= {a} and i < {b}"
        if cond:
            fields.append(f'if: "{cond}"')
        for arg, column in args:
            if all(repr(x) == repr(column[0]) for x in column):
                fields.append(f"{arg}: {_scalar(column[0])}")
            else:
                index = "i" if a == 0 else f"i - {a}"
                fields.append(f'{arg}: "{_scalar(column)}[{index}]"')
                indexed = True
        body.append(f"{indent}  - {{{', '.join(fields)}}}")
        indexed = indexed or cond is not None
    head_lines = [f"{indent}- repeat: {n}"]
    if base:
        head_lines.append(f"{indent}  name: {_q(base)}")
    if indexed:
        head_lines.append(f"{indent}  as: i")
    if head is not None:
        head_lines.append(f"{indent}  input: {head}")
    return head_lines + [f"{indent}  body:"] + body


def _body(entries: list, module_types: dict | None = None) -> tuple[list[str], list[str]]:
    w = _Writer(module_types or {})
    lines = w.body(_tree(entries), "", None)
    return w.finish(lines)


def _is_default(op: str, key: str, value) -> bool:
    from archcalc.ops import REGISTRY

    f = REGISTRY[op].model_fields.get(key)
    return f is not None and not f.is_required() and f.default is not None and f.default == value \
        and type(f.default) is type(value)
