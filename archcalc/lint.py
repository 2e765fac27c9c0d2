"""``archcalc lint``: likely mistakes in a spec that still builds — most change params, not MACs.

A spec that loads and builds can still say something its author did not mean.
Each rule below caught (or would have caught) a real mistake; each finding is
one line, ``file:line: [rule] message``, with what to change.

* ``if-reads-entry-input`` — an ``if:`` inside a block reads ``in_channels``,
  ``H`` or ``W``, which are the input of *that entry* (the output of the entry
  above), not the block's input. A new user's MobileNetV3 spec wrote
  ``{op: batchnorm, name: expand_bn, if: "in_channels != hidden"}`` after the
  expand conv: ``in_channels`` there is already ``hidden``, so every expand BN
  silently vanished (params change; MACs do not, BN has none).
* ``never-built`` — an op with an ``if:`` in the spec's own file is built at no
  point the spec names (its defaults and every variant): a misspelt value in the
  condition (``act == 'hswish'`` when the variants say ``'hardswish'``) drops it.
* ``unused-arg`` — a block argument the block never reads: every call's value
  for it is silently ignored.
* ``unused-var`` — a var nothing reads (layers, blocks, input, other vars):
  ``--set`` on it, or a variant setting it, changes nothing.
* ``bias-before-batchnorm`` — a conv or linear layer with a bias (``bias: true``
  is the default, as in PyTorch) whose only consumer is a batchnorm, which
  subtracts the mean and so cancels the bias: ``out_channels`` extra params that
  torchvision's models do not have.
* ``identical-variants`` — two variants that build networks with the same
  input, params and MACs: a variant's vars do not reach the network.

>>> lint("mobilenet")
[]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from archcalc.errors import Loc, SpecError

#: rule id -> one-line description (``archcalc lint --rules`` prints them)
RULES = {
    "if-reads-entry-input": "an if: inside a block reads in_channels/H/W of the entry's input, not the block's",
    "never-built": "an op with an if: is built neither at the defaults nor in any variant",
    "unused-arg": "a block argument the block never reads",
    "unused-var": "a var nothing in the network reads",
    "bias-before-batchnorm": "a conv/linear bias that the batchnorm after it cancels",
    "identical-variants": "two variants that build the same network (input, params, MACs)",
}

_INPUT_NAMES = ("in_channels", "H", "W")


@dataclass(frozen=True)
class Finding:
    """One likely mistake: the rule, where, and what to change."""

    rule: str
    loc: Loc
    message: str

    def __str__(self) -> str:
        where = f"{self.loc}: " if str(self.loc) else ""
        return f"{where}[{self.rule}] {self.message}"


# ------------------------------------------------------------ static walk --
def _names(value: Any) -> set[str]:
    """The names an expression (or a list of them) reads; unparsable text reads none (build reports it)."""
    from archcalc.spec.expr import parse

    if isinstance(value, list):
        return set().union(*(_names(v) for v in value)) if value else set()
    if not isinstance(value, str):
        return set()
    try:
        return set(parse(value).names)
    except SpecError:
        return set()


def _entry_values(e) -> list[Any]:
    """Every expression an entry holds itself (not those of its body)."""
    from archcalc.ops.base import Op
    from archcalc.spec.models import BlockCall, Group, Repeat

    vals: list[Any] = [e.if_]
    if isinstance(e, Op):
        vals += list(e.fields().values())
    elif isinstance(e, BlockCall):
        vals += list(e.arguments().values())
    elif isinstance(e, Repeat):
        vals += [e.repeat, *e.let.values()]
    elif isinstance(e, Group):
        vals += list(e.let.values())
    return vals


def _walk(entries: list) -> Iterator:
    """Every entry, nested bodies included, in document order."""
    for e in entries:
        yield e
        body = getattr(e, "body", None)
        if body:
            yield from _walk(body)


def _read(entries: list) -> set[str]:
    return set().union(*(_names(v) for e in _walk(entries) for v in _entry_values(e))) if entries else set()


def _loc(e) -> Loc:
    return getattr(e, "_loc", None) or Loc()


def _if_reads_entry_input(name: str, block) -> Iterator[Finding]:
    """Entries of a block body whose ``if:`` reads in_channels/H/W not at the block's input."""
    from archcalc.spec.models import Group, Repeat

    def visit(entries: list, at_block_input: bool) -> Iterator[Finding]:
        for k, e in enumerate(entries):
            here = (k == 0 and at_block_input) or (e.input == "in" and at_block_input)
            read = sorted(_names(e.if_) & set(_INPUT_NAMES))
            if read and not here:
                what = getattr(e, "op", None) or ("block call" if hasattr(e, "block") else "entry")
                label = f"{what} '{e.name}'" if e.name else what
                yield Finding(
                    "if-reads-entry-input", _loc(e),
                    f"block '{name}': {label}: if: reads {', '.join(read)}, which here is the input of this "
                    "entry (the output of the entry above it), not the block's input; to test the block's "
                    f"input, bind it in the block's let: (block_in: {read[0]}) and test that name")
            body = getattr(e, "body", None)
            if body:
                yield from visit(body, here and not isinstance(e, Repeat) and isinstance(e, Group))

    yield from visit(block.body, True)


def _unused_args(name: str, block, src) -> Iterator[Finding]:
    read = _read(block.body) | _names(list(block.let.values())) | _names(
        [v for v in block.args.values() if v is not None])
    for arg in block.args:
        if arg not in read:
            yield Finding("unused-arg", src.loc(("blocks", name, "args", arg)),
                          f"block '{name}': argument '{arg}' is never read by the block; every call's "
                          "value for it is ignored (use it in the body, or remove it)")


def _unused_vars(loaded) -> Iterator[Finding]:
    spec = loaded.spec
    read = _read(spec.layers) | _names(list(spec.input)) | _names(list(spec.vars.values()))
    for variant in spec.variants.values():
        read |= _names(list(variant.values()))
    for block, _src in loaded.blocks.values():
        read |= _read(block.body) | _names(list(block.let.values())) | _names(
            [v for v in block.args.values() if v is not None])
    for k in spec.vars:
        if k not in read:
            yield Finding("unused-var", loaded.source.loc(("vars", k)),
                          f"var '{k}' is read by nothing in the network (layers, blocks, input or other vars); "
                          f"--set {k}=... and the variants that set it change nothing")


# ----------------------------------------------------------- built points --
def _points(loaded) -> list[str | None]:
    spec = loaded.spec
    points: list[str | None] = [] if spec.default_variant is not None else [None]
    return points + list(spec.variants)


def _bias_before_batchnorm(a) -> Iterator[Finding]:
    consumers: dict[str, list] = {}
    for lay in a.network.layers:
        for s in lay.inputs:
            consumers.setdefault(s, []).append(lay)
    for lay in a.network.layers:
        op = lay.op
        if op.op not in ("conv2d", "linear") or not getattr(op, "bias", False):
            continue
        users = consumers.get(lay.name, [])
        if users and all(u.op.op == "batchnorm" for u in users):
            n = lay.out_shape[0]
            yield Finding("bias-before-batchnorm", lay.loc,
                          f"{op.op} '{lay.name}' has a bias (bias: true is the default) but feeds only "
                          f"batchnorm '{users[0].name}', which cancels it: {n} params no torchvision model "
                          "has; write bias: false unless the model you reproduce really has it")


def lint(spec) -> list[Finding]:
    """All findings for a spec (a path, a bundled name or a loaded spec), ordered by file and line.

    The spec must load and build at its defaults (errors are raised as usual);
    the rules that need a built network look at the defaults and every variant.
    """
    from archcalc.api import analyze, load

    loaded = load(spec)
    found: list[Finding] = []
    for name, (block, src) in loaded.blocks.items():
        found += _if_reads_entry_input(name, block)
        found += _unused_args(name, block, src)
    found += _unused_vars(loaded)

    built: set[tuple] = set()
    seen: dict[tuple, str | None] = {}
    for variant in _points(loaded):
        a = analyze(loaded, variant=variant)
        built |= {(lay.loc.file, lay.loc.line) for lay in a.network.layers if lay.loc}
        found += _bias_before_batchnorm(a)
        key = (a.network.input_shape, a.totals["params"], a.totals["macs"])
        if variant is None:  # a variant may well name the defaults (EfficientNet's b0 is phi = 0)
            continue
        if key in seen:
            found.append(Finding("identical-variants", loaded.source.loc(("variants", variant)),
                                 f"variant '{variant}' builds the same network as variant '{seen[key]}' "
                                 "(input, params and MACs equal): the vars that tell them apart do not "
                                 "reach the network"))
        seen.setdefault(key, variant)

    own = [loaded.spec.layers] + [b.body for b, src in loaded.blocks.values() if src is loaded.source]
    for entries in own:
        for e in _walk(entries):
            if getattr(e, "op", None) and e.if_ is not None:
                loc = _loc(e)
                if (loc.file, loc.line) not in built:
                    label = f"{e.op} '{e.name}'" if e.name else e.op
                    where = "at the defaults and in every variant" if loaded.spec.variants else "at the defaults"
                    found.append(Finding("never-built", loc,
                                         f"{label} is never built: its if: ({e.if_}) is false {where}; "
                                         "check the condition's names and quoted values"))
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda f: (f.loc.file or "", f.loc.line or 0, f.rule))
