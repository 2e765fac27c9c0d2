"""Build the layer graph: expand blocks, repeats and conditions; infer every shape.

``build(loaded, vars, ctx)`` walks the spec's entries in document order with a
stack of *frames* (a group, a block call or a repeat iteration), each with a
name prefix, local names and a scope of expression values. Every op becomes a
:class:`Layer` with resolved fields, input names and input/output shapes; the
layers form a networkx ``DiGraph`` whose topological order is the document
order (references can only name earlier layers, so there are no cycles).

Expressions see the vars, the enclosing block's arguments, ``let:`` names,
repeat indices, and ``in_channels``, ``H``, ``W`` of the entry's (first) input.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, ChainMap as ChainMapT, Literal, get_args, get_origin

from archcalc.errors import ArchcalcError, GraphError, Loc, ShapeError, SpecError
from archcalc.ops import Ctx, Op
from archcalc.ops.base import ENTRY_KEYS, as_int, field_kind
from archcalc.spec.expr import condition, evaluate, is_symbolic, StructuralSymbolError, free_names
from archcalc.spec.loader import LoadedSpec
from archcalc.spec.models import BlockCall, Group, Repeat

if TYPE_CHECKING:
    import networkx as nx

MAX_LAYERS = 200_000
MAX_REPEAT = 100_000
MAX_DEPTH = 64
MAX_DIM = 2**31  #: largest channel count or spatial size of one tensor
MAX_NUMEL = 2**40  #: largest number of elements of one tensor (per sample)
MAX_EXPANSION = 2_000_000  #: entries the spec may expand to (block calls, iterations, ops), checked first
INPUT = "input"  #: name of the network input in the graph
IN = "in"  #: reserved reference to the enclosing group's / block's input


@dataclass(slots=True)
class Layer:
    """One op instance: resolved op, where its inputs come from, and its shapes.

    Layers that one entry yields at the same input shapes and the same values of the names
    its fields read (every iteration of a ``repeat:``, every call of a block) share one
    resolved ``op`` object (ops are never modified after the build)."""

    name: str
    op: Op
    inputs: list[str]
    in_shapes: list[tuple]
    out_shape: tuple
    loc: Loc | None
    blocks: tuple[str, ...] = ()  #: names of the enclosing block calls, outermost first


@dataclass
class Network:
    """The built network: layers in document order, the input shape, and its DiGraph."""

    name: str
    input_shape: tuple
    layers: list[Layer]
    vars: dict[str, Any]
    variant: str | None
    ideal: bool = False
    block_calls: dict[str, str] = field(default_factory=dict)  #: call's full name -> block name

    @cached_property
    def graph(self) -> "nx.DiGraph":
        """The layer DAG (networkx); node ``input`` is the network input.

        Built on first use, so that ``archcalc cost`` does not pay for importing networkx.
        """
        import networkx as nx

        g = nx.DiGraph()
        g.add_node(INPUT, order=0)
        for i, lay in enumerate(self.layers, start=1):
            g.add_node(lay.name, order=i, layer=lay)
            for src in lay.inputs:
                g.add_edge(src, lay.name)
        return g

    def consumer_counts(self) -> dict[str, int]:
        """How many distinct layers read each tensor (the input and every layer): its
        out-degree in :attr:`graph`. The executor and the torch exporter free a tensor when
        its count reaches zero, i.e. after its last consumer has run (DESIGN.md, "Peak memory")."""
        g = self.graph
        return {n: g.out_degree(n) for n in g.nodes}

    def layer(self, name: str) -> Layer:
        for lay in self.layers:
            if lay.name == name:
                return lay
        close = [lay.name for lay in self.layers if name in lay.name][:5]
        raise GraphError(f"no layer named '{name}'" + (f"; similar: {', '.join(close)}" if close else ""))


@lru_cache(maxsize=None)
def _words(cls: type[Op], key: str) -> frozenset[str]:
    """Literal words of an op field, not expressions: ``padding: same``, ``approximate: tanh``."""
    words = set(cls.words.get(key, ()))
    ann = cls.model_fields[key].annotation
    if get_origin(ann) is Literal:
        words |= {a for a in get_args(ann) if isinstance(a, str)}
    return frozenset(words)


@dataclass(slots=True)
class _Frame:
    prefix: str
    scope: ChainMapT
    input: str
    names: dict[str, str] = field(default_factory=dict)  # local name -> full layer name
    parent: "_Frame | None" = None
    blocks: tuple[str, ...] = ()


class _Builder:
    def __init__(self, loaded: LoadedSpec, ctx: Ctx):
        self.loaded = loaded
        self.ctx = ctx
        self.layers: list[Layer] = []
        self.shapes: dict[str, tuple] = {}
        self.full_names: set[str] = {INPUT}
        self.block_stack: list[str] = []
        self.iterations = 1  #: product of the enclosing repeat counts
        self.visits = 0  #: entries expanded so far (bounded by MAX_EXPANSION)
        self.calls: dict[str, str] = {}  #: block call full name -> block name
        #: (entry content, values of the names its fields read) -> the resolved op: its fields
        #: evaluated and checked, shared by every layer whose fields come to the same values
        self.ops: dict[tuple, Op] = {}
        #: (that key, input shapes) -> (resolved op, output shape)
        self.resolved: dict[tuple, tuple[Op, tuple]] = {}
        #: id(entry) -> (its content's number, the names its fields read besides in_channels/H/W,
        #: which of those three it reads), or None when it is not memoizable
        self.sigs: dict[int, tuple | None] = {}
        self.contents: dict[tuple, int] = {}  #: entry content -> its number in the memo keys
        #: id(entry) -> (its if: text, names read besides in_channels/H/W, those three it reads) or None
        self.cond_sigs: dict[int, tuple | None] = {}
        #: (if: text, values of the names it reads) -> its truth
        self.conditions: dict[tuple, bool] = {}
        self.expansion: _Expansion | None = None  #: set by build(); lower bounds of layers per body

    # ---------------------------------------------------------- helpers --
    def scope_for(self, frame: _Frame, src: str) -> ChainMapT:
        shape = self.shapes[src]
        c = shape[0]
        h, w = (shape[1], shape[2]) if len(shape) == 3 else (1, 1)
        return frame.scope.new_child({"in_channels": c, "H": h, "W": w})

    def resolve_ref(self, ref: str, frame: _Frame, loc) -> str:
        f = frame
        while f is not None:
            if ref == IN:
                return f.input
            if ref in f.names:
                return f.names[ref]
            f = f.parent
        if ref in self.full_names:
            return ref
        raise GraphError(
            f"reference '{ref}' names no earlier layer in scope; references must name a layer "
            f"defined before this entry (or '{IN}' for the block input)", loc
        )

    def unique(self, frame: _Frame, local: str, loc) -> str:
        full = f"{frame.prefix}{local}"
        if full in self.full_names or local in frame.names:
            raise GraphError(f"duplicate layer name '{full}'; give the entry a unique name", loc)
        return full

    def auto_name(self, frame: _Frame, base: str) -> str:
        name, k = base, 1
        while name in frame.names or f"{frame.prefix}{name}" in self.full_names:
            k += 1
            name = f"{base}_{k}"
        return name

    # ---------------------------------------------------------- entries --
    def run(self, entries: list, frame: _Frame, prev: str) -> str:
        for e in entries:
            private = e.__pydantic_private__  # (pydantic's private-attribute __getattr__ is slow)
            loc = private["_loc"] if private and "_loc" in private else e._loc
            self.visits += 1
            if self.visits > MAX_EXPANSION:
                raise GraphError(f"the spec expands to more than {MAX_EXPANSION:,} entries "
                                 "(block calls, repeat iterations and ops); the limit is "
                                 f"{MAX_EXPANSION:,}", loc)
            try:
                prev = self.entry(e, frame, prev, loc)
            except ArchcalcError as err:
                raise err.located(loc) from None
        return prev

    def entry(self, e, frame: _Frame, prev: str, loc) -> str:
        if e.input is not None and e.inputs is not None:
            raise SpecError("give either input: or inputs:, not both", loc)
        refs = [e.input] if e.input is not None else e.inputs
        if refs is not None and not refs:
            raise SpecError("inputs: is empty; name at least one earlier layer", loc)
        try:
            srcs = [self.resolve_ref(r, frame, loc) for r in refs] if refs else [prev]
        except GraphError:
            # An entry that does not exist here may name layers that do not exist either
            # (a residual add of an optional SE): decide its condition on the previous output.
            if e.if_ is not None and not condition(e.if_, self.scope_for(frame, prev)):
                return prev
            raise
        if e.if_ is not None and not self.condition(e, frame, srcs[0]):
            return prev
        if isinstance(e, Op):
            return self.op(e, frame, srcs, None, loc)  # (its scope is built only when evaluated)
        scope = self.scope_for(frame, srcs[0])
        if isinstance(e, BlockCall):
            return self.call(e, frame, srcs, scope)
        if isinstance(e, Repeat):
            return self.repeat(e, frame, srcs[0], scope)
        if isinstance(e, Group):
            return self.group(e, frame, srcs[0], scope)
        raise SpecError(f"unknown entry {e!r}", loc)  # unreachable: the models are exhaustive

    def condition(self, e, frame: _Frame, src: str) -> bool:
        """The entry's ``if:`` in its scope, memoized like the op fields (``resolve_key``) by
        the expression and the values of the names it reads (``in_channels``, ``H``, ``W``
        from the input's shape)."""
        sig = self.cond_sigs.get(id(e), _UNSEEN)
        if sig is _UNSEEN:
            sig = self.cond_sigs[id(e)] = _condition_signature(e.if_)
        if sig is None:
            return condition(e.if_, self.scope_for(frame, src))
        text, names, shape_names = sig
        shape = self.shapes[src]
        maps = frame.scope.maps
        try:
            key = (text, tuple(_typed(_lookup(maps, n)) for n in names),
                   tuple(_typed(_shape_name(shape, n)) for n in shape_names))
            hit = self.conditions.get(key)
        except TypeError:  # an unhashable value: evaluate every time
            return condition(e.if_, self.scope_for(frame, src))
        if hit is None:
            hit = self.conditions[key] = condition(e.if_, self.scope_for(frame, src))
        return hit

    def op(self, e: Op, frame: _Frame, srcs: list[str], scope, loc) -> str:
        lo, hi = type(e).arity
        if len(srcs) < lo or (hi is not None and len(srcs) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            raise ShapeError(
                f"{e.op} takes {want} input(s), got {len(srcs)}; "
                + ("list them with inputs: [a, b]" if lo > 1 else "use input: NAME"), loc
            )
        local = e.name or self.auto_name(frame, e.op)
        full = self.unique(frame, local, loc)
        in_shapes = [self.shapes[s] for s in srcs]
        key = self.resolve_key(e, in_shapes, frame)
        hit = self.resolved.get((key, tuple(in_shapes))) if key is not None else None
        if hit is not None:
            op, out = hit
        else:
            op = self.ops.get(key) if key is not None else None
            if op is None:
                if scope is None:
                    scope = self.scope_for(frame, srcs[0])
                op = self.resolve_op(e, scope)
                if key is not None:
                    self.ops[key] = op
            out = self.shape(op, in_shapes, full, loc)
            if key is not None:
                self.resolved[(key, tuple(in_shapes))] = (op, out)
        if len(self.layers) >= MAX_LAYERS:
            raise GraphError(f"the network has more than {MAX_LAYERS} layers; the limit is {MAX_LAYERS}", loc)
        self.layers.append(Layer(full, op, srcs, in_shapes, out, loc, frame.blocks))
        self.shapes[full] = out
        self.full_names.add(full)
        frame.names[local] = full
        return full

    def resolve_op(self, e: Op, scope) -> Op:
        """The entry with its fields evaluated in ``scope`` and checked."""
        cls = type(e)
        resolved = {}
        for key in _own_fields(cls):
            value = getattr(e, key)
            if isinstance(value, str) and value in _words(cls, key):
                resolved[key] = value
            else:
                resolved[key] = _check_field(cls, key, evaluate(value, scope), e.op)
        return e.model_copy(update=resolved)

    def shape(self, op: Op, in_shapes: list, full: str, loc) -> tuple:
        """The resolved op's checked output shape at these input shapes."""
        out = tuple(op.output_shape(in_shapes, self.ctx))
        n = 1
        for d in out:
            if type(d) is not int or not 1 <= d <= MAX_DIM:
                break
            n *= d
        else:  # plain sizes (the usual case) pass at once
            if n <= MAX_NUMEL:
                return out
        who = f"{op.op} '{full}'"
        if not all(type(d) is int and 1 <= d <= MAX_DIM for d in out):
            out = tuple(as_int(d, f"{who}: output size", minimum=1) for d in out)
            for d in out:
                if not is_symbolic(d) and d > MAX_DIM:
                    raise ShapeError(f"{who}: output size {d:,} exceeds {MAX_DIM:,}; check the spec's sizes", loc)
            for d in out:
                if not is_symbolic(d) and not isinstance(d, int):
                    raise ShapeError(f"{who}: output size {d} is not an integer", loc)
        _check_numel(out, f"{who}: output", loc)
        return out

    def resolve_key(self, e: Op, in_shapes: list, frame: _Frame) -> tuple | None:
        """What the resolved op of ``e`` (its evaluated fields) depends on, or None (not
        memoizable): the entry's content (op class, field values with their types) and the
        values of the names its fields read: those of ``in_channels``, ``H``, ``W`` it reads
        from its first input's shape (as :meth:`scope_for` binds them), the others looked up in
        the frame's scope (which the entry's own scope extends only by those three). Its output
        shape depends on the input shapes as well (``self.resolved``)."""
        sig = self.sigs.get(id(e), _UNSEEN)
        if sig is _UNSEEN:
            sig = _signature(e)
            if sig is not None:  # the content as a small number: hashed for every layer
                sig = (self.contents.setdefault(sig[0], len(self.contents)),) + sig[1:]
            self.sigs[id(e)] = sig
        if sig is None:
            return None
        content, names, shape_names = sig
        if shape_names:
            shape = in_shapes[0]
            content = (content, tuple(_typed(_shape_name(shape, n)) for n in shape_names))
        if not names:
            return content
        maps = frame.scope.maps
        try:
            key = (content, tuple(_typed(_lookup(maps, n)) for n in names))
            hash(key)
        except TypeError:  # an unhashable value: evaluate every time
            return None
        return key

    def child(self, frame: _Frame, local: str, scope, inp: str, blocks=None) -> _Frame:
        prefix = f"{frame.prefix}{local}." if local else frame.prefix
        return _Frame(prefix, scope, inp, parent=frame, blocks=blocks or frame.blocks)

    def bind(self, lets: dict, frame: _Frame, src: str) -> None:
        """Evaluate ``let:`` names in order into the frame's scope (seeing in_channels, H, W)."""
        if not lets:
            return
        view = self.scope_for(frame, src)
        for k, v in lets.items():
            frame.scope[k] = evaluate(v, view)

    def count(self, value, scope, what: str) -> int:
        n = evaluate(value, scope)
        if is_symbolic(n):
            raise StructuralSymbolError(f"{what} depends on symbolic {sorted(free_names(n))}", free_names(n))
        return as_int(n, what, minimum=0)

    def group(self, e: Group, frame: _Frame, src: str, scope) -> str:
        local = e.name or self.auto_name(frame, "group")
        full = self.unique(frame, local, e._loc)
        inner = self.child(frame, local, frame.scope.new_child(), src)
        self.bind(e.let, inner, src)
        out = self.run(e.body, inner, src)
        frame.names[local] = out
        self.full_names.add(full)
        return out

    def repeat(self, e: Repeat, frame: _Frame, src: str, scope) -> str:
        n = self.count(e.repeat, scope, "repeat count")
        if n > MAX_REPEAT:
            raise GraphError(f"repeat count {n} exceeds the limit {MAX_REPEAT}", e._loc)
        if self.iterations * n > MAX_LAYERS:  # checked before expanding, not after
            raise GraphError(
                f"nested repeats expand to {self.iterations * n:,} iterations; the limit is {MAX_LAYERS:,}",
                e._loc)
        if self.expansion is not None and n > 1:  # a lower bound of what it adds, before building it
            each = self.expansion.layers(e.body, scope)
            if len(self.layers) + n * each > MAX_LAYERS:
                raise GraphError(f"this repeat adds at least {n * each:,} layers ({n:,} iterations of at "
                                 f"least {each:,}), before any is built; the network limit is "
                                 f"{MAX_LAYERS:,} layers", e._loc)
        base = e.name if e.name is not None else ""
        prev = src
        self.iterations *= max(n, 1)
        try:
            prev = self._iterate(e, frame, base, n, prev)
        finally:
            self.iterations //= max(n, 1)
        if e.name is not None:
            frame.names[e.name] = prev
        return prev

    def _iterate(self, e: Repeat, frame: _Frame, base: str, n: int, prev: str) -> str:
        loc = e._loc
        for i in range(n):
            local = f"{base}{i}"
            self.unique(frame, local, loc)
            # (an iteration with no index and no let: binds nothing, so it reads its parent's scope)
            scope = frame.scope.new_child({e.as_: i}) if e.as_ else frame.scope.new_child() if e.let else frame.scope
            inner = self.child(frame, local, scope, prev)
            self.bind(e.let, inner, prev)
            prev = self.run(e.body, inner, prev)
            frame.names[local] = prev
            self.full_names.add(f"{frame.prefix}{local}")
        return prev

    def call(self, e: BlockCall, frame: _Frame, srcs: list[str], scope) -> str:
        loc = e._loc
        if e.block not in self.loaded.blocks:
            known = ", ".join(sorted(self.loaded.blocks)) or "none"
            raise SpecError(f"unknown block '{e.block}' (defined blocks: {known})", loc)
        if e.block in self.block_stack:
            raise GraphError(f"block '{e.block}' calls itself (via {' -> '.join(self.block_stack)})", loc)
        if len(self.block_stack) >= MAX_DEPTH:
            raise GraphError(f"blocks nest deeper than {MAX_DEPTH}", loc)
        block, bsrc = self.loaded.blocks[e.block]
        given = e.arguments()
        unknown = sorted(set(given) - set(block.args))
        if unknown:
            raise SpecError(
                f"block '{e.block}' has no argument '{unknown[0]}' (arguments: {', '.join(block.args) or 'none'})",
                loc,
            )
        # Block bodies are lexically scoped: the vars, then the block's own arguments.
        bscope = self.globals.new_child(scope.maps[0].copy())  # in_channels, H, W of the call input
        for name, default in block.args.items():
            if name in given:
                bscope[name] = evaluate(given[name], scope)
            elif default is None:
                raise SpecError(f"block '{e.block}' needs argument '{name}'", loc)
            else:
                try:
                    bscope[name] = evaluate(default, bscope)
                except ArchcalcError as err:
                    raise err.located(bsrc.loc(("blocks", e.block, "args", name))) from None
        local = e.name if e.name is not None else self.auto_name(frame, e.block)
        # name: "" adds no name level (torchvision-style layer1.0.conv1): the block is the enclosing scope
        full = self.unique(frame, local, loc) if local else frame.prefix.rstrip(".")
        inner = self.child(frame, local, bscope.new_child(), srcs[0], frame.blocks + (full,))
        self.calls.setdefault(full, e.block)
        self.block_stack.append(e.block)
        try:
            self.bind(block.let, inner, srcs[0])
            out = self.run(block.body, inner, srcs[0])
        finally:
            self.block_stack.pop()
        frame.names[local] = out
        self.full_names.add(full)
        return out

    # ------------------------------------------------------------- main --
    def build(self, vars: dict[str, Any], input_shape: tuple) -> list[Layer]:
        self.globals = ChainMap(dict(vars))
        in_loc = self.loaded.source.loc(("input",))
        for d in input_shape:
            if not is_symbolic(d) and d > MAX_DIM:
                raise ShapeError(f"input size {d:,} exceeds {MAX_DIM:,}", in_loc)
        _check_numel(input_shape, "input", in_loc)
        self.expansion = _Expansion(self.loaded, self.globals)
        self.expansion.entries(self.loaded.spec.layers)
        self.shapes[INPUT] = input_shape
        top = _Frame("", self.globals.new_child(), INPUT)
        self.run(self.loaded.spec.layers, top, INPUT)
        if not self.layers:
            raise GraphError("the spec builds no layers (every entry skipped by its if:?)",
                             self.loaded.source.loc(("layers",)))
        return self.layers


_UNSEEN = object()
_SCOPE_NAMES = frozenset({"in_channels", "H", "W"})  #: bound from the input shape (in the memo key)


def _lookup(maps: list[dict], name: str):
    """``ChainMap(*maps).get(name, _UNSEEN)`` without ChainMap's Python-level calls."""
    for m in maps:
        if name in m:
            return m[name]
    return _UNSEEN


def _shape_name(shape: tuple, name: str):
    """``in_channels``, ``H`` or ``W`` of an input shape, as :meth:`_Builder.scope_for` binds them."""
    if name == "in_channels":
        return shape[0]
    if len(shape) != 3:
        return 1
    return shape[1] if name == "H" else shape[2]


def _condition_signature(value) -> tuple | None:
    """(text, names read besides in_channels/H/W, those three it reads) of an ``if:``
    expression, or None (not a string, or it does not parse: evaluated every time, which
    reports the error as usual)."""
    from archcalc.spec.expr import parse

    if not isinstance(value, str):
        return None
    try:
        names = parse(value).names
    except ArchcalcError:
        return None
    return value, tuple(sorted(names - _SCOPE_NAMES)), tuple(sorted(names & _SCOPE_NAMES))


def _typed(v):
    """A value with its type, so that equal values of different types (``True`` and ``1``,
    ``16`` and ``16.0``) are different memo keys; lists as tuples."""
    if isinstance(v, list):
        return (list, tuple(_typed(x) for x in v))
    return (type(v), v)


@lru_cache(maxsize=None)
def _own_fields(cls: type[Op]) -> tuple[str, ...]:
    """The names of an op class's own (formula) fields, as ``Op.fields`` lists them."""
    return tuple(k for k in cls.model_fields if k not in ENTRY_KEYS)


def _signature(e: Op) -> tuple | None:
    """(content, names read, shape names read) of an op entry for the memo of ``_Builder.op``,
    or None (a field that does not parse: the build reports that error as usual). The names are
    those its field expressions read besides ``in_channels``/``H``/``W`` (function names too:
    never bound); the shape names, those three that they read."""
    from archcalc.spec.expr import parse

    cls = type(e)
    fields = {k: getattr(e, k) for k in _own_fields(cls)}  # = e.fields(), without model_fields per call
    names: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            names.update(parse(value).names)

    try:
        for key, value in fields.items():
            if not (isinstance(value, str) and value in _words(cls, key)):
                walk(value)
    except ArchcalcError:
        return None
    content = (cls,) + tuple((k, _typed(v)) for k, v in fields.items())
    try:
        hash(content)
    except TypeError:
        return None
    return content, tuple(sorted(names - _SCOPE_NAMES)), tuple(sorted(names & _SCOPE_NAMES))


def _check_numel(shape: tuple, who: str, loc) -> None:
    """A tensor of more than MAX_NUMEL elements is nonsense (and would not fit any machine)."""
    n = 1
    for d in shape:
        if is_symbolic(d):
            return
        n *= d
    if n > MAX_NUMEL:
        dims = "x".join(f"{d:,}" for d in shape)
        raise ShapeError(f"{who} tensor {dims} has {n:,} elements; the limit is 2**40 "
                         f"({MAX_NUMEL:,}) per sample", loc)


def _is_number(v) -> bool:
    return (not isinstance(v, bool) and isinstance(v, (int, float, Fraction))) or (
        type(v).__module__.startswith("sympy") and not isinstance(v, str))


def _check_field(cls: type[Op], key: str, value, op: str):
    """An op field's resolved value has the kind the op declares for it (ops/base.FieldKind):
    true/false, a word, a number or (pairs, padding) a list of numbers, in the declared range
    for real kinds (integer kinds: the formulas check integrality and range, naming the layer)."""
    kind = field_kind(cls, key)
    if kind.flag:
        if not isinstance(value, bool):
            raise SpecError(f"{op}: '{key}' must be true or false, got {_short(value)}")
        return value
    if value is None or (isinstance(value, str) and kind.choice):
        return value
    if isinstance(value, list) and not kind.pair:
        raise SpecError(f"{op}: '{key}' must be a number, got {_short(value)}")
    items = value if isinstance(value, list) else [value]
    for v in items:
        if not _is_number(v):
            raise SpecError(f"{op}: '{key}' must be a number, got {_short(value)}")
    if kind.integer:  # integrality and the lower bound: the formulas; the upper bound is every field's
        for v in items:
            if not is_symbolic(v) and abs(v) > MAX_DIM:
                raise SpecError(f"{op}: '{key}' must be at most 2**31 (the largest tensor dimension), "
                                f"got {_short(v)}")
        return value
    if is_symbolic(value):
        return value
    if kind.maximum is not None and not kind.minimum <= value <= kind.maximum:
        raise SpecError(f"{op}: '{key}' is a {kind.name} and must be in [{kind.minimum}, {kind.maximum}], "
                        f"got {_short(value)}")
    if kind.minimum is not None and not value >= kind.minimum:
        raise SpecError(f"{op}: '{key}' must be >= {kind.minimum}, got {_short(value)}")
    return value


def _short(v) -> str:
    text = str(v).lower() if isinstance(v, bool) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


class _Expansion:
    """A lower bound on the entries a spec expands to, computed before building anything.

    Block calls count their block's body (memoized per block), repeats their body times a
    count that evaluates from the vars alone (else 1). It catches call trees that grow
    exponentially (40 levels each calling the next twice) before the builder walks them.
    """

    def __init__(self, loaded: LoadedSpec, scope):
        self.blocks = loaded.blocks
        self.scope = scope
        self.memo: dict[str, int] = {}
        self.stack: set[str] = set()
        #: id(list of entries) -> (the list, kept alive so the id stays its own; lower bound of its layers)
        self.layer_memo: dict[int, tuple[list, int]] = {}

    def entries(self, entries: list) -> int:
        total = 0
        for e in entries:
            total += 1
            if isinstance(e, BlockCall):
                total += self.block(e.block)
            elif isinstance(e, Repeat):
                try:
                    n = evaluate(e.repeat, self.scope)
                    n = n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else 1
                except ArchcalcError:
                    n = 1
                total += min(n, MAX_REPEAT) * self.entries(e.body)
            elif isinstance(e, Group):
                total += self.entries(e.body)
            if total > MAX_EXPANSION:
                raise GraphError(
                    f"the spec expands to at least {total:,} entries (block calls, repeat iterations "
                    f"and ops) here, before any is built; the limit is {MAX_EXPANSION:,}", e._loc)
        return total

    def layers(self, entries: list, scope) -> int:
        """A lower bound on the layers ``entries`` build: ops without an ``if:``, block bodies, and
        repeats whose count evaluates in ``scope`` (else 0). Memoized per list of entries."""
        key = id(entries)
        if key in self.layer_memo:
            return self.layer_memo[key][1]
        total = 0
        for e in entries:
            if e.if_ is not None:  # counted only where it holds in ``scope`` (not depending on the index)
                try:
                    if not (scope and condition(e.if_, scope)):
                        continue
                except ArchcalcError:
                    continue
            if isinstance(e, BlockCall):
                if e.block in self.blocks and e.block not in self.stack:
                    self.stack.add(e.block)
                    try:
                        total += self.layers(self.blocks[e.block][0].body, {})
                    finally:
                        self.stack.discard(e.block)
            elif isinstance(e, Repeat):
                try:
                    n = evaluate(e.repeat, scope)
                except ArchcalcError:
                    n = None
                if isinstance(n, int) and not isinstance(n, bool) and n > 0:
                    total += min(n, MAX_REPEAT) * self.layers(e.body, {})
            elif isinstance(e, Group):
                total += self.layers(e.body, {})
            else:
                total += 1
        if not scope:  # a count that read the scope is not memoized
            self.layer_memo[key] = (entries, total)
        return total

    def block(self, name: str) -> int:
        if name in self.memo:
            return self.memo[name]
        if name in self.stack or name not in self.blocks:
            return 0  # recursion and unknown blocks are the builder's errors, with their lines
        self.stack.add(name)
        try:
            n = self.entries(self.blocks[name][0].body)
        finally:
            self.stack.discard(name)
        self.memo[name] = n
        return n


def build(loaded: LoadedSpec, vars: dict[str, Any], input_shape: tuple, ctx: Ctx,
          variant: str | None = None) -> Network:
    """Expand ``loaded`` at ``vars`` into a :class:`Network` with inferred shapes."""
    builder = _Builder(loaded, ctx)
    layers = builder.build(vars, input_shape)
    return Network(loaded.spec.name, input_shape, layers, dict(vars), variant, ctx.ideal, builder.calls)


def topological_order(inputs: dict[str, list[str]]) -> list[str]:
    """Node names ordered so that each comes after the nodes it reads (``inputs``: name -> the
    names it reads; ``input`` is the network input), keeping the given order where it is free.

    For graphs that arrive out of order (importers). A reference to an unknown node and a
    cycle are :class:`~archcalc.errors.GraphError` naming them.

    >>> topological_order({"b": ["a"], "a": ["input"], "c": ["a", "b"]})
    ['a', 'b', 'c']
    >>> topological_order({"a": ["b"], "b": ["a"]})
    Traceback (most recent call last):
    ...
    archcalc.errors.GraphError: cycle in the layer graph: a -> b -> a
    """
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(inputs)
    for name, srcs in inputs.items():
        for src in srcs:
            if src != INPUT and src not in inputs:
                raise GraphError(f"'{name}' reads '{src}', which is not a node of the graph")
            if src != INPUT:
                g.add_edge(src, name)
    index = {n: i for i, n in enumerate(inputs)}
    try:
        return list(nx.lexicographical_topological_sort(g, key=index.__getitem__))
    except nx.NetworkXUnfeasible:
        cycle = [u for u, _ in nx.find_cycle(g)]
        raise GraphError("cycle in the layer graph: " + " -> ".join(cycle + cycle[:1])) from None
