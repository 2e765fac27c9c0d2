"""The one small error hierarchy of archcalc.

Every error carries a location: a ``Loc`` (file and line, filled in by the
loader from YAML node marks) and, where known, the layer it concerns. The CLI
catches ``ArchcalcError`` in one place and prints ``file:line: message``.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """Base of every error archcalc reports to a user (exit status 2)."""

    def __init__(self, message: str, loc: Loc | None = None):
        super().__init__(message)
        self.message = message
        self.loc = loc

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
    """A value the caller gave (a var override, the variant, the input size, batch, dtype) is wrong.

    ``setting`` names it as the library knows it (``var alpha``, ``variant``, ``resolution``,
    ``batch``, ``dtype``); it has no spec location. Front ends say which of their own inputs it
    was (the CLI: ``--alpha: 'abc' is not a number ...``).
    """

    def __init__(self, setting: str, detail: str):
        super().__init__(f"{setting}: {detail}")
        self.setting = setting
        self.detail = detail

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
