"""Loader defences that the data-driven corpus (tests/hostile) cannot express: symlinks, huge
files, the library's use: allowance, and YAML 1.2 scalar resolution."""

from __future__ import annotations

import time

import pytest

from archcalc.api import analyze
from archcalc.cli import main
from archcalc.errors import SpecError
from archcalc.spec.loader import MAX_FILE_BYTES, _plain, load

HEAD = "name: t\ninput: [3, 8, 8]\n"


@pytest.mark.parametrize("text,value", [
    ("64", 64), ("-3", -3), ("+5", 5), ("0", 0), ("0o17", 15), ("0x1F", 31), ("0.75", 0.75), ("1e-5", 1e-5),
    ("true", True), ("False", False), ("~", None), ("null", None), ("", None),
    ("in_channels * 2", "in_channels * 2"), ("y", "y"), ("n", "n"), ("1_000", "1_000"), ("relu", "relu"),
])
def test_yaml_core_schema_scalars(text, value):
    v = _plain(text)
    assert v == value and type(v) is type(value)


@pytest.mark.parametrize("text,msg", [
    ("064", "leading zero"), ("-007", "leading zero"), ("1:30", "base-60"), ("yes", "boolean"),
    ("OFF", "boolean"), (".nan", "finite"), ("-.inf", "finite"), ("1e400", "out of range"),
    ("1e-400", "out of range"), ("2001-01-01", "date"), ("9" * 81, "limit is 80"),
])
def test_yaml11_surprises_are_errors(text, msg):
    with pytest.raises(ValueError, match=msg):
        _plain(text)


def test_variant_keys_are_names_as_written(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(HEAD + "vars: {w: 8}\nvariants: {50: {w: 16}, 064: {w: 4}}\nlayers:\n"
                 "  - {op: conv2d, out_channels: w, kernel_size: 1}\n")
    assert analyze(p, variant="50").layers[0].output[0] == 16
    assert analyze(p, variant="064").layers[0].output[0] == 4  # a key is a name, never octal


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    p = tmp_path / "huge.yaml"
    with p.open("wb") as f:  # sparse: 3 GB of size, no disk
        f.truncate(3 * 10**9)
    t = time.process_time()
    with pytest.raises(SpecError, match=r"spec is 3,000,000,000 bytes; the limit is 2,000,000"):
        load(p)
    assert time.process_time() - t < 1
    assert MAX_FILE_BYTES == 2_000_000


def test_symlink_loop_in_use_is_a_clear_error(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    p = tmp_path / "s.yaml"
    p.write_text(HEAD + "use: [a.yaml]\nlayers: [{op: relu}]\n")
    with pytest.raises(SpecError, match="symlink loop") as e:
        load(p)
    assert e.value.loc.line == 3


def test_a_symlink_out_of_the_tree_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.yaml").write_text("blocks:\n  b: {body: [{op: relu}]}\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "b.yaml").symlink_to(outside / "b.yaml")
    p = proj / "s.yaml"
    p.write_text(HEAD + "use: [b.yaml]\nlayers: [{block: b}]\n")
    with pytest.raises(SpecError, match="is outside the spec's directory"):
        load(p)
    assert "b" in load(p, allow_use=[outside]).blocks  # the library's explicit allowance


def test_two_files_that_use_each_other_load_once(tmp_path):
    (tmp_path / "a.yaml").write_text("use: [b.yaml]\nblocks:\n  a: {body: [{op: relu}]}\n")
    (tmp_path / "b.yaml").write_text("use: [a.yaml]\nblocks:\n  b: {body: [{block: a}]}\n")
    p = tmp_path / "s.yaml"
    p.write_text(HEAD + "use: [a.yaml]\nlayers: [{block: b}]\n")
    assert sorted(load(p).blocks) == ["a", "b"]


def test_allow_use_dir_on_the_command_line(tmp_path, monkeypatch, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.yaml").write_text("blocks:\n  b: {body: [{op: relu}]}\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "s.yaml").write_text(HEAD + "use: [../other/b.yaml]\nlayers: [{block: b}]\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["cost", "proj/s.yaml", "--format", "csv"])
    assert e.value.code == 2
    assert "proj/s.yaml:3: use: '../other/b.yaml' is outside" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["--allow-use-dir", "other", "cost", "proj/s.yaml", "--format", "csv"])
    assert e.value.code in (0, None)
    assert "b.relu" in capsys.readouterr().out
    main_reset = ["cost", "proj/s.yaml", "--format", "csv"]  # the allowance does not persist
    with pytest.raises(SystemExit) as e:
        main(main_reset)
    assert e.value.code == 2


def test_foreign_content_is_never_echoed(tmp_path):
    (tmp_path / "secret.txt").write_text("root:$6$hash:19000:0:99999:7:::\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    p = proj / "s.yaml"
    for use in ("../secret.txt", str(tmp_path / "secret.txt")):
        p.write_text(HEAD + f"use: ['{use}']\nlayers: [{{op: relu}}]\n")
        with pytest.raises(SpecError) as e:
            load(p)
        assert "hash" not in str(e.value) and "root:" not in str(e.value)
