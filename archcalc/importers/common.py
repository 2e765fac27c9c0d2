"""What every importer produces: entries (one archcalc op each) and the closed-world error."""

from __future__ import annotations

from dataclasses import dataclass

from archcalc.errors import SpecError


class UnmappedError(SpecError):
    """The model uses types, functions, methods or operators archcalc cannot map."""


@dataclass
class Entry:
    """One archcalc op: its full (dotted) name, fields and input layer names."""

    name: str
    op: str
    fields: dict
    inputs: list
    shape: tuple  #: (C, H, W) or (F,) per sample, from the traced run
