"""The one small error hierarchy of archcalc.

Every error carries a location: a ``Loc`` (file and line, filled in by the
loader from YAML node marks) and, where known, the layer it concerns. The CLI
catches ``ArchcalcError`` in one place and prints ``file:line: message``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Loc:
    """Where in a spec something was written: ``file:line``."""

    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""


class ArchcalcError(Exception):
    """Base of every error archcalc reports to a user (exit status 2).

    A message that names settings of the caller (a parameter such as ``step``, ``max_bytes``)
    is built by :meth:`naming`: the library writes each setting's own name, and a front end
    re-spells the message with its names for them (:meth:`spelled`; the CLI: its flags).

    >>> e = LimitError.naming("{n} MACs; lower {resolution} or raise {max_macs}", "resolution", "max_macs", n=9)
    >>> str(e)
    '9 MACs; lower resolution or raise max_macs'
    >>> e.spelled(lambda s: "--" + s.replace("_", "-"))
    '9 MACs; lower --resolution or raise --max-macs'
    """

    form: str | None = None  #: the message with a ``{field}`` per setting and value (see :meth:`naming`)
    settings: tuple[str, ...] = ()  #: the settings the message names
    values: dict[str, Any] = {}  #: the other fields of ``form``, inserted verbatim

    def __init__(self, message: str, loc: Loc | None = None):
        super().__init__(message)
        self.message = message
        self.loc = loc

    @classmethod
    def naming(cls, form: str, *settings: str, loc: Loc | None = None, **values: Any) -> "ArchcalcError":
        """An error whose message names ``settings``: ``form`` has a ``{name}`` field for each
        setting and each of ``values`` (values are inserted verbatim, braces and all)."""
        e = cls(form.format(**{s: s for s in settings}, **values), loc)
        e.form, e.settings, e.values = form, settings, values
        return e

    def spelled(self, spell: Callable[[str], str]) -> str:
        """The message with each setting it names spelled by ``spell`` (``max_bytes`` -> ``--max-bytes``);
        text added around the message since (``reference entry 2: ...``) is kept."""
        if self.form is None:
            return self.message
        own = self._fill(str)
        return self.message.replace(own, self._fill(spell), 1) if own in self.message else self.message

    def _fill(self, spell: Callable[[str], str]) -> str:
        return self.form.format(**{s: spell(s) for s in self.settings}, **self.values)

    def render(self, spell: Callable[[str], str]) -> str:
        """:meth:`__str__` with :meth:`spelled`'s message: ``file:line: message`` on one line."""
        where = str(self.loc) if self.loc else ""
        message = self.spelled(spell).replace("\n", "\\n")
        return f"{where}: {message}" if where else message

    def located(self, loc: Loc | None) -> "ArchcalcError":
        """Attach ``loc`` unless the error already knows a better one."""
        if loc is not None and (self.loc is None or self.loc.line is None):
            self.loc = loc
        return self

    def __str__(self) -> str:
        """``file:line: message`` on one line (newlines a user wrote into a value are escaped)."""
        where = str(self.loc) if self.loc else ""
        message = self.message.replace("\n", "\\n")
        return f"{where}: {message}" if where else message


class SpecError(ArchcalcError):
    """The spec text is malformed: YAML, keys, types, expressions."""


class SettingError(SpecError):
    """A value the caller gave (a var override, the variant, the input size, batch, dtype,
    a parameter such as ``step``) is wrong.

    ``setting`` names it as the library knows it (``var alpha``, ``variant``, ``resolution``,
    ``batch``, ``dtype``, ``step``); it has no spec location. Front ends say which of their own
    inputs it was (the CLI: ``--alpha: 'abc' is not a number ...``). The message is
    ``setting: detail`` unless ``form`` says otherwise: ``{setting}`` and ``{detail}`` are its
    fields, ``mentions`` other settings it names (``{step}``), ``values`` further verbatim fields.

    >>> e = SettingError("tolerance", "must be > 0, got 0 and 1", form="{setting} and {step} {detail}",
    ...                  mentions=("step",))
    >>> str(e), e.spelled(lambda s: "--" + s)
    ('tolerance and step must be > 0, got 0 and 1', '--tolerance and --step must be > 0, got 0 and 1')
    """

    def __init__(self, setting: str, detail: str, *, form: str = "{setting}: {detail}",
                 mentions: Sequence[str] = (), **values: Any):
        self.setting = setting
        self.detail = detail
        self.form, self.settings = form, (setting, *mentions)
        self.values = dict(values, detail=detail)
        super().__init__(self._fill(str))

    def _fill(self, spell: Callable[[str], str]) -> str:
        return self.form.format(**{s: spell(s) for s in self.settings[1:]}, setting=spell(self.setting),
                                **self.values)

    def located(self, loc: Loc | None) -> "SettingError":
        """A setting has no place in a spec: the location stays empty."""
        return self


class ExprError(SpecError):
    """An expression cannot be parsed or evaluated."""


class StructuralSymbolError(ExprError):
    """A symbol reached a place that must stay numeric (repeat count, condition, index)."""

    def __init__(self, message: str, symbols: frozenset[str], loc: Loc | None = None):
        super().__init__(message, loc)
        self.symbols = symbols


class GraphError(ArchcalcError):
    """The layer graph is wrong: dangling references, duplicate names, cycles, limits."""


class ShapeError(ArchcalcError):
    """Shapes do not fit: channel mismatch, kernel larger than input, non-integer size."""


class OutputError(ArchcalcError):
    """An output target cannot be written: missing directory, read-only place, device, full disk."""


class LimitError(ArchcalcError):
    """A requested computation is larger than a stated limit (raise the limit with the flag named)."""
