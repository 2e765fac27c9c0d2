"""The one format registry: every command's choices, one renderer per format, duplicates refused."""

from __future__ import annotations

import json

import pytest

from archcalc.report import formats
from archcalc.report.formats import Format, Table, dumps, names, register, render


def test_table_and_prose_choices_come_from_the_registry():
    assert names() == ("table", "markdown", "latex", "csv", "json")
    assert names(prose=True) == ("text", "markdown", "latex", "json")
    assert names(exclude=("json",)) == ("table", "markdown", "latex", "csv")


def test_registering_a_format_twice_is_an_error():
    with pytest.raises(ValueError, match="'csv' is registered twice"):
        register(Format("csv", lambda t: "", "again"))
    assert formats.FORMATS["csv"].help == "CSV with exact values"


def test_exact_formats_use_the_exact_values_and_display_formats_the_cells():
    t = Table(["layer", "MACs"], [["conv1", "10.84M"]], raw=[["conv1", 10838016]], colalign=["left", "right"])
    assert render(t, "csv") == "layer,MACs\nconv1,10838016\n"
    assert json.loads(render(t, "json")) == [{"layer": "conv1", "MACs": 10838016}]
    assert render(t, "table").splitlines()[-1] == "conv1    10.84M"
    assert "conv1 & 10.84M \\\\" in render(t, "latex")


def test_a_prose_only_format_does_not_render_tables():
    with pytest.raises(ValueError, match="unknown table format 'text'"):
        render(Table(["a"], [["1"]]), "text")


def test_dumps_keeps_unicode_only_when_asked():
    assert dumps({"x": "α"}, indent=None) == '{"x": "\\u03b1"}'
    assert dumps({"x": "α"}, indent=None, ascii=False) == '{"x": "α"}'
