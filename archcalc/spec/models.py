"""The spec format as pydantic v2 models (documented in docs/spec-format.md).

A spec is vars, variants, an input shape, named blocks and a list of
*entries*. An entry is one of:

* an **op** — ``{op: conv2d, out_channels: 64, kernel_size: 3}`` (one class per
  op in ``archcalc.ops``, discriminated on ``op``);
* a **block call** — ``{block: bottleneck, planes: 64, stride: 2}`` (arguments inline);
* a **repeat** — ``{repeat: 4, as: i, name: block, body: [...]}``;
* a **group** — ``{name: stage1, body: [...]}``.

Every entry may carry ``name``, ``input``/``inputs`` and ``if``. Unknown keys
are errors everywhere (``extra="forbid"``); block-call arguments are checked
against the block's ``args`` when the graph is built.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic_core import PydanticCustomError, core_schema

from archcalc import ops
from archcalc.ops import REGISTRY
from archcalc.ops.base import EntryBase, Raw


def _dict() -> dict:
    """``default_factory=dict``, as a Python function: pydantic inspects a factory's signature,
    which for the builtin ``dict``/``list`` means parsing text signatures (~2 ms each, 14 fields)."""
    return {}


def _list() -> list:
    """``default_factory=list`` (see :func:`_dict`)."""
    return []


class BlockCall(EntryBase):
    """Call of a named block; every other key is an argument of the block."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    block: str = Field(description="Name of a block defined in `blocks:` or a `use:`d file.")

    def arguments(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})


class Repeat(EntryBase):
    """``body`` repeated ``repeat`` times; ``as`` binds the 0-based index."""

    repeat: Raw = Field(description="Number of iterations (an expression).")
    as_: str | None = Field(None, alias="as", description="Name bound to the 0-based index.")
    let: dict[str, Raw] = Field(default_factory=_dict, description="Names bound per iteration.")
    body: list["Entry"]


class Group(EntryBase):
    """A named group of entries (a stage when at top level)."""

    let: dict[str, Raw] = Field(default_factory=_dict)
    body: list["Entry"]


def entry_class(v: Any) -> type[BaseModel] | None:
    """The class that validates entry ``v`` (a raw mapping, or an entry already validated):
    its op's class, BlockCall, Repeat or Group; None when its keys name none. Looking an op
    up imports only that op's module (``archcalc.ops.REGISTRY``)."""
    if isinstance(v, dict):
        if "op" in v:
            return REGISTRY.get(v["op"]) if isinstance(v["op"], str) else None
        for key, cls in (("block", BlockCall), ("repeat", Repeat), ("body", Group)):
            if key in v:
                return cls
        return None
    cls = type(v)
    if cls in _TAGS or (isinstance(getattr(v, "op", None), str) and REGISTRY.get(v.op) is cls):
        return cls
    return None


def entry_tag(v: Any) -> str | None:
    """The union's discriminator (see :func:`entry_union`): an op's class name, 'block',
    'repeat' or 'group', or what else ``v`` is."""
    cls = entry_class(v)
    if cls is None:
        return None if isinstance(v, dict) else type(v).__name__
    return _TAGS.get(cls, cls.__name__)


def entry_union() -> Any:
    """The discriminated union of every entry class (the JSON schema of an entry)."""
    return Annotated[
        Union[
            tuple(Annotated[cls, Tag(cls.__name__)] for cls in ops.OPS)
            + (Annotated[BlockCall, Tag("block")], Annotated[Repeat, Tag("repeat")],
               Annotated[Group, Tag("group")])
        ],
        Discriminator(entry_tag),
    ]


def validate_entry(value: Any) -> Any:
    """One entry, validated by the class its keys name (:func:`entry_class`) and no other.

    This is the discriminated union of :func:`entry_union` done by hand, so that only
    the classes a spec uses are ever built (the op classes are ``defer_build``; building
    all 34 cost more than loading and costing a ResNet), and only their modules imported.
    A nested ``ValidationError`` keeps its locations (relative to this entry), as the
    union's did; strict, as the loader validates.
    """
    cls = entry_class(value)
    if cls is None:
        raise PydanticCustomError("union_tag_invalid", "no entry class for tag {tag}",
                                  {"tag": str(entry_tag(value))})
    if isinstance(value, cls):
        return value
    return cls.model_validate(value, strict=True)


class _LazyEntry:
    """The type of an entry in ``layers:`` and every ``body:`` (see :func:`validate_entry`)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        return core_schema.no_info_plain_validator_function(validate_entry)

    _union_schema: Any = None

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> Any:
        # The union's own core schema (its definitions: every entry class) once, at the
        # outermost entry list; the lists inside those classes refer to the same definitions.
        if cls._union_schema is not None:
            return handler(cls._union_schema["schema"])
        from pydantic import TypeAdapter

        cls._union_schema = TypeAdapter(entry_union()).core_schema
        try:
            return handler(cls._union_schema)
        finally:
            cls._union_schema = None


Entry = _LazyEntry


class Block(BaseModel):
    """A reusable sub-network: ``args`` (``null`` = required) and a ``body``."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    args: dict[str, Raw | None] = Field(default_factory=_dict)
    let: dict[str, Raw] = Field(default_factory=_dict)
    body: list[Entry]


class Reference(BaseModel):
    """A published figure (or an official implementation's exact count) for a variant or a point."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="Where the figure is printed: paper and table, or official code.")
    variant: str | None = None
    vars: dict[str, Raw] = Field(default_factory=_dict)
    params: str | int | float | None = Field(None, description="As printed: '4.2M', or an exact int.")
    params_convention: str = Field(
        "all", description="Which params the source counts: 'weights', 'weights+biases', 'all', ..."
    )
    macs: str | int | float | None = Field(None, description="As printed: '569M', '4.1G', or exact.")
    macs_label: str | None = Field(None, description="What the source calls it: 'Mult-Adds', 'FLOPs'.")
    top1: float | None = None
    pretrain: str | None = Field(
        None, description="Extra data the top-1 model was pre-trained on ('ImageNet-22K'); none = ImageNet-1K only."
    )
    top5: float | None = None
    exact: bool = Field(False, description="Exact integers from an official implementation.")
    exclude: list[str] = Field(default_factory=_list, description="Layers the figure leaves out (e.g. [fc]).")
    deviation: str | None = Field(None, description="Why the real architecture cannot meet this figure.")


class Spec(BaseModel):
    """A network: vars, variants, input, blocks, layers and published reference figures."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    paper: str | None = None
    use: list[str] = Field(default_factory=_list, description="Block files to import (relative paths).")
    vars: dict[str, Raw] = Field(default_factory=_dict)
    variants: dict[str, dict[str, Raw]] = Field(default_factory=_dict)
    default_variant: str | None = None
    input: list[Raw] = Field(description="[C, H, W] per sample; expressions allowed.")
    blocks: dict[str, Block] = Field(default_factory=_dict)
    layers: list[Entry]
    reference: list[Reference] = Field(default_factory=_list)
    notes: list[str] = Field(default_factory=_list)
    torch_names: dict[str, str] = Field(
        default_factory=_dict,
        description="Layer-name prefix -> name in the reference PyTorch model (stem.conv: conv1), "
                    "applied by `archcalc export` so the state_dict loads the official weights.")


class BlockFile(BaseModel):
    """A file of shared blocks, imported with ``use:``."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    use: list[str] = Field(default_factory=_list)
    blocks: dict[str, Block]


for _m in (Repeat, Group, Block, Spec, BlockFile):
    _m.model_rebuild()

#: the structure entries' union tags (an op's tag is its class name)
_TAGS: dict[type[BaseModel], str] = {BlockCall: "block", Repeat: "repeat", Group: "group"}
