"""Load a spec: YAML (safe, size-capped) -> pydantic models, keeping file:line for every key.

Only the loader knows files. It reads libyaml's parser events (PyYAML's safe
loader, never one that constructs objects) straight into plain data while
recording the line of every path, validates with the models of
``archcalc.spec.models`` and maps pydantic's error locations back to lines.

>>> spec = load("mobilenet")
>>> spec.spec.name
'MobileNet v1'
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from archcalc.errors import Loc, SpecError
from archcalc.ops import REGISTRY
from archcalc.spec.models import Block, BlockFile, Spec, entry_class

MAX_FILE_BYTES = 2_000_000
# libyaml's parser when available (5-10x faster); both are safe loaders that build no objects.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_NODES = 200_000
MAX_YAML_DEPTH = 100  #: nesting of YAML mappings and lists


@dataclass
class Source:
    """A YAML file's display name and the line of every data path in it."""

    file: str
    lines: dict[tuple, int] = field(default_factory=dict)

    def loc(self, path: tuple = ()) -> Loc:
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return Loc(self.file, self.lines.get(path, 1))


@dataclass
class LoadedSpec:
    """A validated spec with its blocks (own and imported) and where each came from."""

    spec: Spec
    source: Source
    path: Path
    blocks: dict[str, tuple[Block, Source]]


# ------------------------------------------------------------- locating --
def bundled_dir() -> Path:
    """The bundled specs: ``archcalc/specs`` in a wheel, top-level ``specs/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "specs", here.parent / "specs"):
        if cand.is_dir():
            return cand
    return here / "specs"


def bundled_specs() -> list[Path]:
    """Paths of the bundled network specs (block files in ``blocks/`` excluded)."""
    return sorted(bundled_dir().glob("*.yaml"))


def find(spec: str | Path) -> Path:
    """A path as given, or the bundled spec of that name (``mobilenet`` -> specs/mobilenet.yaml)."""
    p = Path(spec)
    if p.is_dir():
        raise SpecError(f"{spec} is a directory; give a spec file (.yaml) or a bundled spec name")
    if p.is_file():
        return p
    name = p.name.removesuffix(".yaml").removesuffix(".yml")
    cand = bundled_dir() / f"{name}.yaml"
    if cand.is_file() and (p.parent == Path(".") or not p.exists()):
        return cand
    known = ", ".join(q.stem for q in bundled_specs())
    raise SpecError(f"no spec file '{spec}', and no bundled spec of that name; bundled specs: {known}")


# ----------------------------------------------------------------- YAML --
def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        rel = path.resolve()
        b = bundled_dir()
        try:
            return "specs/" + str(rel.relative_to(b))
        except ValueError:
            return str(path)


def read_yaml(path: Path) -> tuple[Any, Source]:
    """Parse a YAML file into plain data and a ``Source`` of line numbers.

    The file's size is checked before it is read (and the read is bounded); scalars
    follow YAML 1.2's core schema, with YAML 1.1's surprises rejected (see ``_plain``).
    """
    src = Source(_display(path))
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpecError(f"spec is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}", src.loc())
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise SpecError(f"cannot read {src.file}: {e.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError(f"spec is over {MAX_FILE_BYTES:,} bytes; the limit is {MAX_FILE_BYTES:,}", src.loc())
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise SpecError("spec is not UTF-8 text", Loc(src.file, line)) from None
    return parse_yaml(text, src), src


def parse_yaml(text: str, src: Source) -> Any:
    """YAML text -> plain data (YAML 1.2 core schema, as :func:`read_yaml`), recording lines in ``src``."""
    bad = _BAD_CHAR.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise SpecError(
            f"character U+{ord(bad.group()):04X} is not allowed in a YAML file", Loc(src.file, line)
        )
    try:
        parser = _SafeLoader(text)
        try:
            data = _Events(parser.get_event, src).document()
        finally:
            parser.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise SpecError(f"invalid YAML: {e.problem or e.context}", Loc(src.file, line)) from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {str(e).splitlines()[0][:200]}", src.loc()) from None
    except RecursionError:
        raise SpecError(f"YAML nested too deeply (the limit is {MAX_YAML_DEPTH} levels)", src.loc()) from None
    if data is _EMPTY:
        raise SpecError("spec is empty; expected a mapping with name, input and layers", src.loc())
    return data


#: characters YAML does not allow in a stream (C0 controls but tab/CR/LF, DEL, C1 but NEL, surrogates)
_BAD_CHAR = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TAG = "tag:yaml.org,2002:"
_EMPTY = object()  #: a stream with no document

_INT = re.compile(r"[-+]?[0-9]+")
_INT_BASE = re.compile(r"0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NONFINITE = re.compile(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)")
_YAML11_BOOL = re.compile(r"yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt \t].*)?")
MAX_LITERAL_DIGITS = 80  #: a YAML integer literal longer than this is rejected before it is converted


def _plain(text: str, what: str = "value") -> Any:
    """A plain (unquoted, untagged) scalar by YAML 1.2's core schema; YAML 1.1 forms are errors.

    Raises ``ValueError`` with the message.

    >>> _plain("64"), _plain("0.75"), _plain("true"), _plain("~"), _plain("in_channels * 2")
    (64, 0.75, True, None, 'in_channels * 2')
    """
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    c = text[0]
    if c.isdigit() or c in "+-.":
        if _INT.fullmatch(text):
            digits = text.lstrip("+-")
            if len(digits) > 1 and digits[0] == "0":
                raise ValueError(
                    f"'{text}' has a leading zero (YAML 1.1 reads it as octal); write "
                    f"{int(digits)} for decimal or 0o{digits.lstrip('0') or '0'} for octal")
            _check_digits(text)
            return int(text)
        if _INT_BASE.fullmatch(text):
            _check_digits(text)
            return int(text, 0)
        if _FLOAT.fullmatch(text):
            _check_digits(text)
            v = float(text)
            if not math.isfinite(v) or (v == 0 and any(ch in "123456789" for ch in text.split("e")[0].split("E")[0])):
                raise ValueError(f"'{text}' is out of range for a number")
            return v
        if _NONFINITE.fullmatch(text):
            raise ValueError(f"'{text}' is not a finite number; a {what} must be a real number")
        if _SEXAGESIMAL.fullmatch(text):
            raise ValueError(f"'{text}' is ambiguous (YAML 1.1 reads it as a base-60 number); quote it")
        if _TIMESTAMP.fullmatch(text):
            raise ValueError(f"'{text}' looks like a date, which is not a {what}; quote it for a string")
    elif _YAML11_BOOL.fullmatch(text) and len(text) > 1:
        raise ValueError(
            f"'{text}' is ambiguous (YAML 1.1 reads it as a boolean); write true or false")
    return text


def _check_digits(text: str) -> None:
    if len(text) > MAX_LITERAL_DIGITS:
        raise ValueError(f"number literal of {len(text)} characters; the limit is {MAX_LITERAL_DIGITS}")


def _tagged(tag: str, text: str) -> Any:
    """An explicitly tagged scalar (``!!int 8``, ``!!str 064``); other tags are errors."""
    short = tag.removeprefix(_TAG)
    if short == "str":
        return text
    if short in ("int", "float", "bool", "null"):
        v = _plain(text) if text else None
        want = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[short]
        if not isinstance(v, want) or (short in ("int", "float") and isinstance(v, bool)):
            raise ValueError(f"'{text}' is not a valid !!{short}")
        return float(v) if short == "float" else v
    shown = "!!" + short if tag.startswith(_TAG) else tag
    raise ValueError(f"the YAML tag {shown[:60]} is not allowed (only plain values, !!str, !!int, "
                     "!!float, !!bool, !!null)")


class _Events:
    """libyaml's parser events -> plain data, recording lines; bounded in nodes and depth.

    The data is built from the event stream directly, without PyYAML's node tree (its node and
    mark objects were most of a large spec's load time and memory). Plain scalars are resolved
    by :func:`_plain` (YAML 1.2 core schema), tagged ones by :func:`_tagged`. An alias replays
    the events recorded for its anchor (every replayed node counts towards
    ``MAX_YAML_NODES``: alias bombs); an alias inside the value it names is a cycle.

    A path's line is recorded only where it differs from the line ``Source.loc`` would find
    for it anyway (its nearest recorded ancestor's): a one-line flow mapping records one line,
    not one per key, and ``Source.loc`` answers as if every path were recorded.
    """

    def __init__(self, parse, src: Source):
        self.parse = parse
        self.src = src
        self.lines = src.lines
        self.count = 0
        self.depth = 0
        self.keys: dict[str, str] = {}  #: one string object per distinct key
        self.anchors: dict[str, tuple[list, Any] | None] = {}  #: None while its node is open
        self.marks: dict[str, Any] = {}  #: anchor -> start mark of its node
        self.recording: list[list] = []  #: event lists of the anchored nodes now open
        self.replay: list = []  #: iterators over recorded events (aliases being expanded)

    def get(self):
        if self.replay:
            return next(self.replay[-1])
        ev = self.parse()
        for rec in self.recording:
            rec.append(ev)
        return ev

    def loc(self, ev) -> Loc:
        return Loc(self.src.file, ev.start_mark.line + 1)

    def document(self) -> Any:
        self.get()  # StreamStartEvent
        ev = self.get()
        if isinstance(ev, yaml.StreamEndEvent):
            return _EMPTY
        start = ev.start_mark
        data = self.node(self.get(), (), None, 0)
        self.get()  # DocumentEndEvent
        ev = self.get()
        if not isinstance(ev, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError("expected a single document in the stream", start,
                                              "but found another document", ev.start_mark)
        return data

    def anchor(self, ev) -> list | None:
        """Register the anchor of a node event read from the parser; its event list, if any."""
        name = ev.anchor
        if name is None or self.replay:
            return None
        if name in self.marks:
            raise yaml.composer.ComposerError("found duplicate anchor; first occurrence", self.marks[name],
                                              "second occurrence", ev.start_mark)
        self.marks[name] = ev.start_mark
        rec = [ev]
        self.anchors[name] = None if not isinstance(ev, yaml.ScalarEvent) else (rec, ev.start_mark)
        return rec

    def node(self, ev, path: tuple, known: int | None, parent: int) -> Any:
        """The value starting at event ``ev`` at ``path``: ``known`` is the path's line when it is
        already recorded (a mapping value, at its key's line), ``parent`` its parent's line."""
        cls = type(ev)
        if cls is yaml.AliasEvent:
            return self.alias(ev, path, known, parent)
        self.count += 1
        if self.count > MAX_YAML_NODES:
            raise SpecError(
                f"spec expands to more than {MAX_YAML_NODES:,} YAML nodes (an alias bomb?)", self.src.loc()
            )
        line = known
        if line is None:
            line = ev.start_mark.line + 1
            if line != parent:
                self.lines.setdefault(path, line)
        if cls is yaml.ScalarEvent:
            self.anchor(ev)
            return self.scalar(ev)
        if self.depth >= MAX_YAML_DEPTH:
            raise SpecError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", self.loc(ev))
        tag = ev.tag
        if tag is not None and tag != "!" and tag not in (_TAG + "map", _TAG + "seq"):
            raise SpecError(f"the YAML tag {tag[:60]} is not allowed here", self.loc(ev))
        rec = self.anchor(ev)
        if rec is not None:
            self.recording.append(rec)
        self.depth += 1
        try:
            if cls is yaml.MappingStartEvent:
                out = self.mapping(path, line)
            else:
                out = []
                get = self.get
                i = 0
                ev = get()
                while type(ev) is not yaml.SequenceEndEvent:
                    out.append(self.node(ev, path + (i,), None, line))
                    i += 1
                    ev = get()
        finally:
            self.depth -= 1
        if rec is not None:
            self.recording.pop()
            self.anchors[rec[0].anchor] = (rec, rec[0].start_mark)
        return out

    def alias(self, ev, path: tuple, known: int | None, parent: int) -> Any:
        name = ev.anchor
        if name not in self.marks:
            raise yaml.composer.ComposerError(None, None, "found undefined alias", ev.start_mark)
        target = self.anchors[name]
        if target is None:
            raise SpecError("a YAML alias refers to the value it is part of (a cycle)",
                            Loc(self.src.file, self.marks[name].line + 1))
        events = iter(target[0])
        self.replay.append(events)
        try:
            return self.node(next(events), path, known, parent)
        finally:
            self.replay.pop()

    def mapping(self, path: tuple, line: int) -> dict:
        out: dict[str, Any] = {}
        get, keys, lines = self.get, self.keys, self.lines
        k = get()
        while type(k) is not yaml.MappingEndEvent:
            if type(k) is not yaml.ScalarEvent or k.value == "":
                raise SpecError("mapping keys must be plain names", self.loc(k))
            self.anchor(k)
            tag = k.tag
            plain = (tag is None or tag == "!") and k.implicit[0]
            if plain and k.value == "~":
                raise SpecError("mapping keys must be plain names", self.loc(k))
            if tag == _TAG + "merge" or (plain and k.value == "<<"):
                raise SpecError("YAML merge keys (<<) are not supported; write the keys out", self.loc(k))
            if tag is not None and tag != "!":
                self.scalar(k)  # a tag on a key: only !!str and friends pass
            key = keys.setdefault(k.value, k.value)  # a key is a name, taken as written (variant 50: is "50")
            if key in out:
                raise SpecError(f"duplicate key '{key[:60]}'", self.loc(k))
            sub = path + (key,)
            kline = k.start_mark.line + 1
            if kline != line:
                lines[sub] = kline
            out[key] = self.node(get(), sub, kline, line)
            k = get()
        return out

    def scalar(self, ev) -> Any:
        tag = ev.tag
        try:
            if tag is None or tag == "!":
                return _plain(ev.value) if ev.implicit[0] else ev.value
            return _tagged(tag, ev.value)
        except ValueError as e:
            raise SpecError(f"bad value: {e}", self.loc(ev)) from None


# ----------------------------------------------------------- validation --
def _data_path(data: Any, loc: tuple) -> tuple[tuple, Any, Any]:
    """Follow a pydantic error location through the data, skipping union tags."""
    path, cur, parent = (), data, None
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            path, parent, cur = path + (part,), cur, cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path, parent, cur = path + (part,), cur, cur[part]
        elif isinstance(cur, dict) and part == "if_" and "if" in cur:
            path, parent, cur = path + ("if",), cur, cur["if"]
        elif isinstance(cur, dict) and part == "as_" and "as" in cur:
            path, parent, cur = path + ("as",), cur, cur["as"]
    return path, cur, parent


def _what(obj: Any) -> str:
    if isinstance(obj, dict):
        if "op" in obj:
            name = f" '{obj['name']}'" if "name" in obj else ""
            return f"{obj['op']}{name}"
        for k in ("block", "repeat"):
            if k in obj:
                return f"{k} entry"
        if "body" in obj:
            return "group"
    return "spec"


def _allowed_keys(obj: Any, model: type[BaseModel]) -> list[str]:
    cls = entry_class(obj) if isinstance(obj, dict) else None
    cls = cls or model
    return sorted(f.alias or n for n, f in cls.model_fields.items())


_WANT = {"bool_type": "true/false", "int_type": "an integer", "float_type": "a number",
         "string_type": "a string (an expression)", "list_type": "a list", "dict_type": "a mapping",
         "model_type": "a mapping", "model_attributes_type": "a mapping"}


def _kind(value: Any) -> str:
    """What a YAML value is, in words (never its content, which may be long or foreign)."""
    if value is None:
        return "null (~)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"the string {_short(value)}"


def _field(path: tuple) -> str:
    """``('vars', 'a', 1)`` -> ``a[1]``: the key a message names."""
    i = len(path)
    while i and isinstance(path[i - 1], int):
        i -= 1
    if not i:
        return "spec"
    return str(path[i - 1]) + "".join(f"[{p}]" for p in path[i:])


def _short(value: Any, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def _translate(err: dict, data: Any, model: type[BaseModel], src: Source, others: list = ()) -> SpecError:
    path, value, parent = _data_path(data, err["loc"])
    kind = err["type"]
    if kind.endswith("_type") and kind in _WANT:
        wants = []
        for other in others:
            if other["type"] in _WANT and _data_path(data, other["loc"])[0] == path:
                w = _WANT[other["type"]]
                if w not in wants:
                    wants.append(w)
        wants = wants or [_WANT[kind]]
        field_name = _field(path)
        want = ", ".join(wants[:-1]) + " or " + wants[-1] if len(wants) > 1 else wants[0]
        return SpecError(f"{_what(parent)}: '{field_name}': expected {want}, got {_kind(value)}",
                         src.loc(path))
    if kind == "extra_forbidden":
        key = path[-1] if path else err["loc"][-1]
        allowed = [k for k in _allowed_keys(parent, model)]
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        msg = f"{_what(parent)}: unknown key '{key}'{hint} (allowed: {', '.join(allowed)})"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        if isinstance(value, dict) and "op" in value:
            close = difflib.get_close_matches(str(value["op"]), list(REGISTRY), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            msg = f"unknown op '{value['op']}'{hint} (known ops: {', '.join(sorted(REGISTRY))})"
        elif isinstance(value, dict):
            msg = "entry needs one of the keys op:, block:, repeat: or body: (a group)"
        else:
            msg = f"an entry must be a mapping, got {_short(value)}"
    elif kind == "missing":
        key = err["loc"][-1]
        msg = f"{_what(value if isinstance(value, dict) else parent)}: missing required key '{key}'"
        if isinstance(value, dict):
            return SpecError(msg, src.loc(path))
    else:
        field_name = _field(path)
        msg = f"{_what(parent)}: '{field_name}': {err['msg']} (got {_short(value)})"
    return SpecError(msg, src.loc(path))


def validate(model: type[BaseModel], data: Any, src: Source) -> Any:
    """Validate ``data`` as ``model``; the first error becomes a located ``SpecError``."""
    if not isinstance(data, dict):
        raise SpecError(
            f"a spec must be a YAML mapping (name:, input:, layers:), got {type(data).__name__}",
            src.loc(),
        )
    try:
        obj = model.model_validate(data, strict=True)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        # Prefer the most specific error (deepest path): it is usually the real one.
        errors.sort(key=lambda er: -len(_data_path(data, er["loc"])[0]))
        raise _translate(errors[0], data, model, src, errors) from None
    _attach(obj, data, (), src)
    _check_model(obj, (), src)
    return obj


# ---------------------------------------------------- checks pydantic cannot state --
#: names every entry's expressions see (graph.py binds them per entry, over any other binding)
SCOPE_NAMES = frozenset({"in_channels", "H", "W"})
_RAW = None


def _raw_adapter():
    global _RAW
    if _RAW is None:
        from pydantic import TypeAdapter

        from archcalc.ops.base import Raw

        _RAW = TypeAdapter(Raw)
    return _RAW


def check_name(name: Any, what: str) -> None:
    """A name that expressions can refer to: an identifier, not a keyword/constant, not bound by archcalc."""
    import keyword

    from archcalc.spec.expr import FUNCTIONS

    text = str(name)
    if not text.isidentifier() or not text.isascii():
        raise SpecError(f"{what} '{_short(text)[1:-1]}' is not a valid name (letters, digits and _; "
                        "not starting with a digit), so no expression could use it")
    if text.startswith("_"):
        raise SpecError(f"{what} '{text}': names starting with '_' are not allowed")
    if keyword.iskeyword(text) or text in ("True", "False", "None", "true", "false"):
        raise SpecError(f"{what} '{text}' is a reserved word: an expression '{text}' never means it")
    if text in SCOPE_NAMES:
        raise SpecError(f"{what} '{text}' is reserved: every entry sees in_channels, H and W of its "
                        "input, which would hide this value; choose another name")
    if text in FUNCTIONS:
        raise SpecError(f"{what} '{text}' is the name of a function; choose another name")


def _check_model(obj: Any, path: tuple, src: Source) -> None:
    """Names that expressions use, block-call argument types and reference figures, at their lines."""
    from archcalc.spec.models import BlockCall, Reference, Repeat

    def names(keys, sub: tuple, what: str) -> None:
        for k in keys:
            try:
                check_name(k, what)
            except SpecError as e:
                raise e.located(src.loc(path + sub + (k,))) from None

    if isinstance(obj, BaseModel):
        fields = type(obj).model_fields
        if "vars" in fields and not isinstance(obj, Reference):
            names(obj.vars, ("vars",), "var")
        if "args" in fields:
            names(obj.args, ("args",), "block argument")
        if "let" in fields:
            names(obj.let, ("let",), "let name")
        if isinstance(obj, Repeat) and obj.as_ is not None:
            try:
                check_name(obj.as_, "repeat index 'as:'")
            except SpecError as e:
                raise e.located(src.loc(path + ("as",))) from None
        if "name" in fields and isinstance(getattr(obj, "name", None), str) and not isinstance(obj, Spec):
            _check_entry_name(obj.name, src.loc(path + ("name",)))  # (a spec's name is its display name)
        if isinstance(obj, BlockCall):
            for k, v in obj.arguments().items():
                try:
                    _raw_adapter().validate_python(v, strict=True)
                except ValidationError as ve:
                    er = max(ve.errors(include_url=False), key=lambda e: len(e["loc"]))
                    rel, bad, _ = _data_path({k: v}, (k,) + tuple(er["loc"]))
                    raise SpecError(
                        f"block '{obj.block}': argument '{_field(rel)}': expected true/false, a number, "
                        f"a string (an expression) or a list, got {_kind(bad)}", src.loc(path + rel)
                    ) from None
        if isinstance(obj, Reference):
            _check_reference(obj, path, src)
        for name in fields:
            key = fields[name].alias or name
            sub = getattr(obj, name)
            if isinstance(sub, (list, dict, BaseModel)):
                _check_model(sub, path + (key,), src)
    elif isinstance(obj, list):
        for i, o in enumerate(obj):
            if isinstance(o, (BaseModel, list, dict)):
                _check_model(o, path + (i,), src)
    elif isinstance(obj, dict):
        for k, o in obj.items():
            if isinstance(o, BaseModel):
                _check_model(o, path + (k,), src)


def _check_entry_name(name: str, loc: Loc) -> None:
    if name == "in":
        raise SpecError("'in' is reserved (it names the input of the enclosing block or group); "
                        "choose another layer name", loc)
    if name == "input":
        raise SpecError("'input' is reserved (it names the network input); choose another layer name", loc)
    if "." in name:
        raise SpecError(f"layer name '{_short(name)[1:-1]}' contains '.', which separates nesting levels "
                        "in full names; choose a name without dots", loc)


def _check_reference(ref: Any, path: tuple, src: Source) -> None:
    """Published figures: well-formed, non-negative, accuracies percentages in [0, 100]."""
    from archcalc.reference import convention_kinds, parse_figure

    for key in ("params", "macs"):
        v = getattr(ref, key)
        try:
            fig = parse_figure(v, ref.exact)
            if fig is not None and (fig.value < 0 or isinstance(v, float) and not math.isfinite(v)):
                raise SpecError(f"reference {key}: must be a count >= 0, got {_short(v)}")
        except SpecError as e:
            raise e.located(src.loc(path + (key,))) from None
    for key in ("top1", "top5"):
        v = getattr(ref, key)
        if v is not None and not (math.isfinite(v) and 0 <= v <= 100):
            raise SpecError(f"reference {key}: an accuracy in percent (0 to 100), got {v!r}",
                            src.loc(path + (key,)))
    try:
        convention_kinds(ref.params_convention)
    except SpecError as e:
        raise e.located(src.loc(path + ("params_convention",))) from None


def _attach(obj: Any, data: Any, path: tuple, src: Source) -> None:
    """Record every entry's location (a private attribute) for build-time errors."""
    if isinstance(obj, BaseModel):
        has_loc, fields = _attach_fields(type(obj))
        if has_loc:
            loc = src.loc(path)
            private = obj.__pydantic_private__
            if private is not None:
                private["_loc"] = loc  # (pydantic's __setattr__ for a private attribute is slow)
            else:
                obj._loc = loc
        if isinstance(data, dict):
            for name, key in fields:
                if key in data:
                    sub = getattr(obj, name)
                    if isinstance(sub, (list, dict, BaseModel)):
                        _attach(sub, data[key], path + (key,), src)
    elif isinstance(obj, list) and isinstance(data, list):
        for i, (o, d) in enumerate(zip(obj, data)):
            if isinstance(o, (BaseModel, list, dict)):
                _attach(o, d, path + (i,), src)
    elif isinstance(obj, dict) and isinstance(data, dict):
        for k, o in obj.items():
            if k in data and isinstance(o, BaseModel):
                _attach(o, data[k], path + (k,), src)


_ATTACH: dict[type, tuple[bool, tuple]] = {}


def _attach_fields(cls: type[BaseModel]) -> tuple[bool, tuple]:
    """(whether the model has a ``_loc``, its (field name, spec key) pairs), once per class."""
    got = _ATTACH.get(cls)
    if got is None:
        fields = tuple((n, f.alias or n) for n, f in cls.model_fields.items())
        got = _ATTACH[cls] = ("_loc" in (cls.__private_attributes__ or {}), fields)
    return got


# ----------------------------------------------------------------- load --
#: directories ``use:`` may read besides the top-level spec's own (``--allow-use-dir``)
ALLOWED_USE_DIRS: list[Path] = []
BUNDLED_PREFIX = "archcalc:"  #: ``use: [archcalc:blocks/residual.yaml]`` names a bundled block file


def load(spec: str | Path, allow_use: "list[str | Path] | None" = None) -> LoadedSpec:
    """Load and validate a spec file (or bundled spec name), with its imported blocks.

    ``use:`` reads block files only in the top-level spec's directory (and below), the
    bundled blocks and the directories in ``allow_use`` (default ``ALLOWED_USE_DIRS``).
    """
    path = find(spec)
    data, src = read_yaml(path)
    extra = ALLOWED_USE_DIRS if allow_use is None else allow_use
    roots = [_real(path).parent, _real(bundled_dir()), *(_real(Path(d)) for d in extra)]
    return _loaded(data, src, path, roots, seen={_real(path)})


def load_text(text: str, file: str = "<data>", base: Path | None = None,
              allow_use: "list[str | Path] | None" = None) -> LoadedSpec:
    """Load a spec from YAML text (an importer's output) with every check of :func:`load`:
    the size limit, the character and YAML 1.2 checks (:func:`parse_yaml`), the model and
    name checks, and ``use:`` confinement. ``file`` names the text in messages; the text is
    taken to sit in ``base`` (default: the current directory), so ``use:`` reads only
    below ``base``, the bundled blocks and the directories in ``allow_use`` (default none).
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise SpecError(f"spec is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}", Loc(file, 1))
    src = Source(file)
    data = parse_yaml(text, src)
    path = (base or Path.cwd()) / Path(file).name
    roots = [_real(path.parent), _real(bundled_dir()), *(_real(Path(d)) for d in allow_use or ())]
    return _loaded(data, src, path, roots, seen=set())


def _loaded(data: Any, src: Source, path: Path, roots: list[Path], seen: set) -> LoadedSpec:
    """Plain data of a top-level spec -> validated model, imported blocks, reference checks."""
    model = validate(Spec, data, src)
    blocks: dict[str, tuple[Block, Source]] = {}
    _import(model.use, path, src, ("use",), blocks, seen=seen, roots=roots)
    for name, block in model.blocks.items():
        if name in blocks:
            raise SpecError(
                f"block '{name}' is defined here and in {blocks[name][1].file}; rename one",
                src.loc(("blocks", name)),
            )
        blocks[name] = (block, src)
    loaded = LoadedSpec(model, src, path, blocks)
    _check_reference_points(loaded)
    return loaded


def _check_reference_points(loaded: LoadedSpec) -> None:
    """Every reference entry's variant and ``vars:`` resolve, errors at the entry's own lines."""
    from archcalc.point import resolve
    from archcalc.reference import point

    spec, src = loaded.spec, loaded.source
    for name, preset in spec.variants.items():  # every variant, not only the one selected
        for k in preset:
            if k not in spec.vars:
                raise SpecError(f"variant '{name}' sets '{_short(k)[1:-1]}', which is not in vars: "
                                f"({', '.join(spec.vars)}); declare it under vars:",
                                src.loc(("variants", name, k)))
    if spec.default_variant is not None and spec.default_variant not in spec.variants:
        raise SpecError(f"default_variant '{_short(spec.default_variant)[1:-1]}' is not a variant "
                        f"(variants: {', '.join(spec.variants) or 'none'})", src.loc(("default_variant",)))
    for i, ref in enumerate(spec.reference):
        at = ("reference", i)
        if ref.variant is not None and ref.variant not in spec.variants:
            known = ", ".join(spec.variants) or "none"
            raise SpecError(f"reference: {spec.name} has no variant '{_short(ref.variant)[1:-1]}' "
                            f"(variants: {known})", src.loc(at + ("variant",)))
        for k in ref.vars:
            if k not in spec.vars:
                raise SpecError(f"reference: {spec.name} has no var '{_short(k)[1:-1]}' "
                                f"(its vars: {', '.join(spec.vars) or 'none'})", src.loc(at + ("vars", k)))
        if ref.vars:
            where = {k: src.loc(at + ("vars", k)) for k in ref.vars}
            resolve(loaded, ref.variant, point(ref), where=where)


def _real(p: Path) -> Path:
    """``p`` with symlinks resolved; a symlink loop is a SpecError."""
    try:
        return p.resolve()
    except (RuntimeError, OSError):
        raise SpecError(f"{p}: symlink loop (a link that leads back to itself)") from None


def _use_target(rel: str, base: Path, roots: list[Path]) -> Path:
    """Where a ``use:`` entry points, confined to ``roots`` (never read outside them)."""
    if rel.startswith(BUNDLED_PREFIX):
        root = _real(bundled_dir())
        target = _real(root / rel[len(BUNDLED_PREFIX):])
        if not target.is_relative_to(root):
            raise SpecError(f"use: '{_short(rel)[1:-1]}' leaves the bundled specs")
        if not target.is_file():
            have = ", ".join(f"{BUNDLED_PREFIX}blocks/{q.name}" for q in sorted((root / "blocks").glob("*.yaml")))
            raise SpecError(f"use: no bundled block file '{_short(rel)[1:-1]}' (bundled: {have})")
        return target
    if Path(rel).is_absolute():
        raise SpecError(f"use: '{_short(rel)[1:-1]}' is an absolute path; use: takes paths relative to "
                        "the spec (or archcalc:blocks/... for a bundled block file)")
    target = _real(base.parent / rel)
    if not any(target.is_relative_to(r) for r in roots):
        raise SpecError.naming(
            "use: '{rel}' is outside the spec's directory {root}; block files are read only from it "
            "(and below), archcalc:blocks/..., or a directory given with {allow_use}", "allow_use",
            rel=_short(rel)[1:-1], root=roots[0])
    return target


def _import(uses: list[str], base: Path, src: Source, key: tuple, blocks: dict, seen: set,
            roots: list[Path]) -> None:
    for i, rel in enumerate(uses):
        try:
            target = _use_target(rel, base, roots)
        except SpecError as e:
            raise e.located(src.loc(key + (i,))) from None
        if not target.is_file():
            raise SpecError(f"use: no block file '{_short(rel)[1:-1]}' (looked for {target})",
                            src.loc(key + (i,)))
        if target in seen:
            continue
        seen.add(target)
        data, fsrc = read_yaml(target)
        bf = validate(BlockFile, data, fsrc)
        _import(bf.use, target, fsrc, ("use",), blocks, seen, roots)
        for name, block in bf.blocks.items():
            if name in blocks:
                raise SpecError(
                    f"block '{name}' is defined in {fsrc.file} and in {blocks[name][1].file}",
                    fsrc.loc(("blocks", name)),
                )
            blocks[name] = (block, fsrc)
