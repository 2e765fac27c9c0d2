"""archcalc.spec.loader: bundled names, files, file:line errors, `use:` blocks."""

from __future__ import annotations

import pytest

from archcalc.errors import SpecError
from archcalc.spec.loader import bundled_specs, find, load


def test_a_bundled_name_and_its_path_load_the_same_spec():
    by_name = load("mobilenet")
    by_path = load(find("mobilenet"))
    assert by_name.spec.name == by_path.spec.name == "MobileNet v1"
    assert by_name.path == by_path.path and by_name.path.name == "mobilenet.yaml"


def test_every_bundled_spec_loads():
    names = [p.stem for p in bundled_specs()]
    assert {"mobilenet", "resnet", "efficientnet", "convnext"} <= set(names)
    for p in bundled_specs():
        assert load(p).spec.name


def test_a_missing_spec_is_an_error():
    with pytest.raises(SpecError):
        load("no_such_network_xyz")


def test_an_unknown_key_is_blamed_on_its_line(tmp_path):
    f = tmp_path / "net.yaml"
    f.write_text("name: tiny\ninput: [3, 8, 8]\nlayers:\n  - {op: conv2d, out_channels: 4, kernel_size: 3}\n"
                 "  - {op: relu, inplace: true}\n")
    with pytest.raises(SpecError) as e:
        load(f)
    assert e.value.loc is not None and e.value.loc.line == 5
    assert "inplace" in str(e.value)
