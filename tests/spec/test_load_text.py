"""load_text (an importer's YAML text) gets every check load gives a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from archcalc.errors import SpecError
from archcalc.spec.loader import MAX_FILE_BYTES, bundled_dir, load, load_text

OK = "name: t\ninput: [3, 8, 8]\nlayers:\n  - {op: relu, name: r}\n"


def test_a_bundled_spec_as_text_loads_like_the_file():
    text = (bundled_dir() / "resnet.yaml").read_text()
    a, b = load("resnet"), load_text(text, "resnet.yaml", base=bundled_dir())
    assert a.spec.model_dump() == b.spec.model_dump() and set(a.blocks) == set(b.blocks)


@pytest.mark.parametrize("text, message", [
    ("name: t\x00\n", r"U\+0000"),
    ("name: t\ninput: [3, 8, 8]\nflag: yes\nlayers: []\n", "ambiguous"),
    ("use: [/etc/passwd]\n" + OK, "absolute path"),
    ("use: [../outside.yaml]\n" + OK, "outside"),
    ("x" * (MAX_FILE_BYTES + 1), "limit"),
])
def test_hostile_text_is_refused_like_a_file(text, message, tmp_path):
    with pytest.raises(SpecError, match=message):
        load_text(text, "imported.yaml", base=tmp_path)


def test_use_reads_below_base(tmp_path: Path):
    (tmp_path / "b.yaml").write_text("blocks:\n  act:\n    body:\n      - {op: relu, name: r}\n")
    loaded = load_text("use: [b.yaml]\n" + OK, "imported.yaml", base=tmp_path)
    assert "act" in loaded.blocks
