"""The base of every op: fields common to all spec entries and the formula contract.

An op is a pydantic model whose fields are the spec keys (PyTorch names). The
graph builder evaluates each field's expression and hands the op a *resolved*
copy; its small pure methods then state, for the input shapes:

* ``output_shape(ins, ctx)`` — and validate, raising ``ShapeError``;
* ``params(ins)`` — learnable parameters by kind (``weights``, ``biases``,
  ``norm_affine``, ``other``); ``buffers(ins)`` — non-learnable state;
* ``macs(ins, out)`` — multiply-accumulates (conv and linear only);
* ``flops(ins, out)`` — the *other* floating-point work by kind
  (``add``, ``mul``, ``div``, ``compare``, ``exp``), per docs/conventions.md.

Shapes are per sample: ``(C, H, W)`` or ``(F,)``. Every formula is written
with ``+ - * //`` and :func:`div` so that it works on Python ints and on sympy
expressions alike (DESIGN.md, "One formula, two modes").
"""


from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, StrictFloat, StrictInt, StrictStr
from typing_extensions import TypeAliasType

from archcalc.errors import Loc, ShapeError
from archcalc.values import as_int, as_pair, div, is_symbolic, numel  # noqa: F401 (re-exported)

Shape = tuple
# A raw spec value before evaluation: a number, a bool, an expression string or a list of raw
# values -- strictly (a mapping, null or a date is an error where a value goes, at its line).
Raw = TypeAliasType("Raw", Union[StrictBool, StrictInt, StrictFloat, StrictStr, list["Raw"]])



@dataclass(frozen=True)
class FieldKind:
    """What an op field holds, declared with the field (``stride: Pair = 1``); the graph builder
    checks each resolved value against its field's kind (``graph._check_field``).

    Integer kinds are checked to be numbers here; their integrality and range are checked by the
    op's formulas (``as_int``/``as_pair``, which name the layer). Real kinds (a probability,
    ``eps``) have their range checked here.
    """

    name: str  #: as the docs and errors say it
    flag: bool = False  #: true or false, nothing else
    choice: bool = False  #: one of the field's ``Literal`` words
    pair: bool = False  #: an integer or a list (``[h, w]``; ``pad``: ``[left, right, top, bottom]``)
    integer: bool = False  #: an integer (checked by the formulas)
    minimum: float | None = None  #: lower bound (inclusive)
    maximum: float | None = None  #: upper bound (inclusive)


FLAG = FieldKind("true or false", flag=True)
CHOICE = FieldKind("one of its words", choice=True)
COUNT = FieldKind("integer >= 0", integer=True, minimum=0)
POSITIVE = FieldKind("integer >= 1", integer=True, minimum=1)
PAIR = FieldKind("integer >= 1 or [h, w]", integer=True, pair=True, minimum=1)
PADDING = FieldKind("integer >= 0, a list of them, or a word", integer=True, pair=True, minimum=0)
PROBABILITY = FieldKind("probability", minimum=0, maximum=1)
NONNEGATIVE = FieldKind("number >= 0", minimum=0)
NUMBER = FieldKind("number")
FIELD_KINDS = (FLAG, CHOICE, COUNT, POSITIVE, PAIR, PADDING, PROBABILITY, NONNEGATIVE, NUMBER)

# The annotations op fields are declared with: a raw spec value (or a bool, a word) and its kind.
Flag = Annotated[Raw, FLAG]
Count = Annotated[Raw, COUNT]
Positive = Annotated[Raw, POSITIVE]
Pair = Annotated[Raw, PAIR]
Padding = Annotated[Raw, PADDING]
Probability = Annotated[Raw, PROBABILITY]
NonNegative = Annotated[Raw, NONNEGATIVE]
Number = Annotated[Raw, NUMBER]


@lru_cache(maxsize=None)
def field_kind(cls: type, key: str) -> FieldKind:
    """The declared kind of op field ``key`` of ``cls`` (a ``FieldKind`` in its annotation).

    >>> from archcalc.ops.conv import Conv2d
    >>> field_kind(Conv2d, "stride").name, field_kind(Conv2d, "bias").flag
    ('integer >= 1 or [h, w]', True)
    """
    kinds = [m for m in cls.model_fields[key].metadata if isinstance(m, FieldKind)]
    if len(kinds) != 1:
        raise TypeError(f"op field {cls.__name__}.{key} declares {len(kinds)} kinds (one of "
                        f"archcalc.ops.base.FIELD_KINDS, in its annotation: Pair, Flag, ...)")
    return kinds[0]


FLOP_KINDS = ("add", "mul", "div", "compare", "exp")
PARAM_KINDS = ("weights", "biases", "norm_affine", "other")
#: the layer kinds an op declares (``Op.kind``; conv's depends on its fields: ``Op.layer_kind``)
LAYER_KINDS = ("conv", "depthwise", "pointwise", "grouped", "linear", "norm", "activation", "pool",
               "merge", "shape", "scale")


@dataclass(frozen=True)
class Ctx:
    """How formulas are evaluated: exact integers, or the symbolic ideal model."""

    ideal: bool = False


class EntryBase(BaseModel):
    """Keys every spec entry may carry.

    ``defer_build``: an entry class builds its validator on first use, so loading a spec
    builds only the classes it uses (``archcalc.spec.models.validate_entry``).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    name: str | None = Field(None, description="Layer name (unique within its scope).")
    input: str | None = Field(None, description="Name of the layer this entry consumes.")
    inputs: list[str] | None = Field(None, description="Names of the layers a multi-input op consumes.")
    if_: Raw | None = Field(None, alias="if", description="Condition; the entry exists only where true.")

    _loc: Loc | None = PrivateAttr(None)


ENTRY_KEYS = frozenset({"name", "input", "inputs", "if_", "op"})


class Op(EntryBase):
    """Base of all ops. Subclasses set ``op: Literal[...]`` and override the formulas."""

    #: (min, max) number of inputs; max None means unbounded.
    arity: ClassVar[tuple[int, int | None]] = (1, 1)
    #: conv and linear: their outputs count in ``activations_conv_linear``.
    conv_linear: ClassVar[bool] = False
    #: per field, literal words that are not expressions (``padding: same``).
    words: ClassVar[dict[str, frozenset[str]]] = {}
    #: the layer kind, one of :data:`LAYER_KINDS` (breakdowns, proofs); declared by every op.
    kind: ClassVar[str] = ""
    #: a small valid instance for the contract tests: (fields without ``op``, input shapes).
    example: ClassVar[tuple] = ()

    def layer_kind(self, ins: list[Shape]) -> str:
        """This layer's kind at its input shapes (the class's :attr:`kind` unless fields decide)."""
        return self.kind

    def fields(self) -> dict[str, Any]:
        """The op's own (formula) fields, without the entry keys."""
        return {k: getattr(self, k) for k in type(self).model_fields if k not in ENTRY_KEYS}

    def output_shape(self, ins: list[Shape], ctx: Ctx) -> Shape:
        return ins[0]

    def params(self, ins: list[Shape]) -> dict[str, Any]:
        return {}

    def buffers(self, ins: list[Shape]) -> Any:
        return 0

    def macs(self, ins: list[Shape], out: Shape) -> Any:
        return 0

    def flops(self, ins: list[Shape], out: Shape) -> dict[str, Any]:
        return {}


# ---------------------------------------------------------------- helpers --
def spatial(shape: Shape, who: str) -> tuple:
    """The (C, H, W) of an input that must be a feature map."""
    if len(shape) != 3:
        raise ShapeError(f"{who} needs a [C, H, W] feature map, got shape {list(shape)}; "
                         "remove the flatten before it or use linear")
    return shape


def window_out(size, k, s, d, pad, ctx: Ctx, who: str, ceil_mode: bool = False):
    """Output size of a sliding window along one axis; ``pad`` is the total (both sides) or 'same'.

    Exact: ``(size + pad - d*(k-1) - 1) // s + 1``. Ideal model: ``size / s`` when the
    padding keeps the size at stride 1, else the same formula without the floor.

    >>> window_out(224, 3, 2, 1, 2, Ctx(), "conv")
    112
    >>> window_out(7, 3, 2, 1, "same", Ctx(), "conv")
    4
    """
    span = d * (k - 1) + 1
    if pad == "same":
        if ctx.ideal or is_symbolic(size):
            return size / s
        return -(-size // s)
    if ctx.ideal or is_symbolic(size):
        if pad == span - 1:
            return size / s
        return (size + pad - span) / s + 1
    if size + pad < span:
        raise ShapeError(
            f"{who}: kernel extent {span} is larger than the padded input {size + pad} "
            f"(size {size} + padding {pad}); use a smaller kernel or more padding"
        )
    if ceil_mode:
        out = -(-(size + pad - span) // s) + 1
        if (out - 1) * s >= size + pad // 2:  # PyTorch: last window must start inside
            out -= 1
        return out
    return (size + pad - span) // s + 1


def same_pad(size, k, s, d) -> tuple[int, int]:
    """TensorFlow 'SAME' padding (before, after) for one axis.

    >>> same_pad(224, 3, 2, 1)
    (0, 1)
    """
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2
