"""Load a spec: YAML (safe, size-capped) -> pydantic models, keeping file:line for every key.

Only the loader knows files. It composes the YAML node tree (PyYAML's safe
loader, never one that constructs objects), converts it to plain data while
recording the line of every path, validates with the models of
``archcalc.spec.models`` and maps pydantic's error locations back to lines.

>>> spec = load("mobilenet")
>>> spec.spec.name
'MobileNet v1'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from archcalc.errors import Loc, SpecError
from archcalc.ops import REGISTRY
from archcalc.spec.models import ENTRY_CLASSES, Block, BlockFile, Spec, entry_tag

MAX_FILE_BYTES = 2_000_000
# libyaml's parser when available (5-10x faster); both are safe loaders that build no objects.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_NODES = 200_000


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
    """Parse a YAML file into plain data and a ``Source`` of line numbers."""
    src = Source(_display(path))
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SpecError(f"cannot read {path}: {e.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError(f"spec is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}", src.loc())
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("spec is not UTF-8 text", src.loc()) from None
    try:
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise SpecError(f"invalid YAML: {e.problem or e.context}", Loc(src.file, line)) from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {e}", src.loc()) from None
    if node is None:
        raise SpecError("spec is empty; expected a mapping with name, input and layers", src.loc())
    counter = [0]
    data = _convert(node, (), src, counter)
    return data, src


_constructor = yaml.SafeLoader("")


def _convert(node: yaml.Node, path: tuple, src: Source, counter: list) -> Any:
    counter[0] += 1
    if counter[0] > MAX_YAML_NODES:
        raise SpecError(
            f"spec expands to more than {MAX_YAML_NODES} YAML nodes (an alias bomb?)", src.loc()
        )
    src.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for k, v in node.value:
            key = _scalar(k, src) if isinstance(k, yaml.ScalarNode) else None
            if key is None or isinstance(key, (dict, list)):
                raise SpecError("mapping keys must be plain names", Loc(src.file, k.start_mark.line + 1))
            key = str(key) if not isinstance(key, bool) else str(key).lower()
            if key in out:
                raise SpecError(f"duplicate key '{key}'", Loc(src.file, k.start_mark.line + 1))
            src.lines[path + (key,)] = k.start_mark.line + 1
            out[key] = _convert(v, path + (key,), src, counter)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, path + (i,), src, counter) for i, v in enumerate(node.value)]
    return _scalar(node, src)


def _scalar(node: yaml.Node, src: Source) -> Any:
    """A scalar's value (a key or a value); a tag the safe loader does not know is a SpecError."""
    try:
        return _constructor.construct_object(node)
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpecError(f"bad value: {problem}", Loc(src.file, node.start_mark.line + 1)) from None


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
    cls = ENTRY_CLASSES.get(entry_tag(obj)) if isinstance(obj, dict) else None
    cls = cls or model
    return sorted(f.alias or n for n, f in cls.model_fields.items())


def _translate(err: dict, data: Any, model: type[BaseModel], src: Source) -> SpecError:
    path, value, parent = _data_path(data, err["loc"])
    kind = err["type"]
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
            msg = f"an entry must be a mapping, got {value!r}"
    elif kind == "missing":
        key = err["loc"][-1]
        msg = f"{_what(value if isinstance(value, dict) else parent)}: missing required key '{key}'"
        if isinstance(value, dict):
            return SpecError(msg, src.loc(path))
    else:
        field_name = path[-1] if path else "spec"
        msg = f"{_what(parent)}: '{field_name}': {err['msg']} (got {value!r})"
    return SpecError(msg, src.loc(path))


def validate(model: type[BaseModel], data: Any, src: Source) -> Any:
    """Validate ``data`` as ``model``; the first error becomes a located ``SpecError``."""
    if not isinstance(data, dict):
        raise SpecError(
            f"a spec must be a YAML mapping (name:, input:, layers:), got {type(data).__name__}",
            src.loc(),
        )
    try:
        obj = model.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        # Prefer the most specific error (deepest path): it is usually the real one.
        errors.sort(key=lambda er: -len(_data_path(data, er["loc"])[0]))
        raise _translate(errors[0], data, model, src) from None
    _attach(obj, data, (), src)
    return obj


def _attach(obj: Any, data: Any, path: tuple, src: Source) -> None:
    """Record every entry's location (a private attribute) for build-time errors."""
    if isinstance(obj, BaseModel):
        if hasattr(obj, "_loc"):
            obj._loc = src.loc(path)
        for name in type(obj).model_fields:
            key = type(obj).model_fields[name].alias or name
            sub = getattr(obj, name)
            if isinstance(sub, (list, dict, BaseModel)) and isinstance(data, dict) and key in data:
                _attach(sub, data[key], path + (key,), src)
    elif isinstance(obj, list) and isinstance(data, list):
        for i, (o, d) in enumerate(zip(obj, data)):
            _attach(o, d, path + (i,), src)
    elif isinstance(obj, dict) and isinstance(data, dict):
        for k, o in obj.items():
            if k in data and isinstance(o, BaseModel):
                _attach(o, data[k], path + (k,), src)


# ----------------------------------------------------------------- load --
def load(spec: str | Path) -> LoadedSpec:
    """Load and validate a spec file (or bundled spec name), with its imported blocks."""
    path = find(spec)
    data, src = read_yaml(path)
    model = validate(Spec, data, src)
    blocks: dict[str, tuple[Block, Source]] = {}
    _import(model.use, path, src, ("use",), blocks, seen={path.resolve()})
    for name, block in model.blocks.items():
        if name in blocks:
            raise SpecError(
                f"block '{name}' is defined here and in {blocks[name][1].file}; rename one",
                src.loc(("blocks", name)),
            )
        blocks[name] = (block, src)
    return LoadedSpec(model, src, path, blocks)


def _import(uses: list[str], base: Path, src: Source, key: tuple, blocks: dict, seen: set) -> None:
    for i, rel in enumerate(uses):
        target = (base.parent / rel).resolve()
        if not target.is_file():
            raise SpecError(f"use: no block file '{rel}' (looked for {target})", src.loc(key + (i,)))
        if target in seen:
            continue
        seen.add(target)
        data, fsrc = read_yaml(target)
        bf = validate(BlockFile, data, fsrc)
        _import(bf.use, target, fsrc, ("use",), blocks, seen)
        for name, block in bf.blocks.items():
            if name in blocks:
                raise SpecError(
                    f"block '{name}' is defined in {fsrc.file} and in {blocks[name][1].file}",
                    fsrc.loc(("blocks", name)),
                )
            blocks[name] = (block, fsrc)
