"""Issue 9: a list of strings in ``vars`` written as bare words gets an error that says how to write it."""

from __future__ import annotations

import pytest

from archcalc.api import analyze
from archcalc.errors import SpecError

SPEC = """\
name: t
vars:
  {line}
input: [3, 8, 8]
layers:
  - {{op: conv2d, out_channels: 4, kernel_size: 1, bias: false}}
  - {{op: relu, if: "acts[0] == 'relu'"}}
  - {{op: hardswish, if: "acts[0] == 'hardswish'"}}
"""


@pytest.mark.parametrize("bare, first_op", [("acts: [relu, hardswish]", "relu"),
                                            ("acts: [hardswish, 2, relu]", "hardswish")])
def test_bare_words_error_gives_the_yaml_to_write_and_that_yaml_works(tmp_path, bare, first_op):
    p = tmp_path / "s.yaml"
    p.write_text(SPEC.format(line=bare))
    with pytest.raises(SpecError) as e:
        analyze(p)
    msg = str(e.value)
    assert msg.startswith(f"{p.name}:3:") or ":3: " in msg
    assert "is read as an expression, a name" in msg
    fix = msg.rpartition("inside the YAML string: ")[2]
    assert fix.startswith("acts: [\"'")
    p.write_text(SPEC.format(line=fix))  # the line the message gives, pasted as is
    a = analyze(p)
    assert [c.op for c in a.layers] == ["conv2d", first_op]


def test_a_single_bare_word_and_a_real_unknown_name(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("name: t\nvars:\n  acts: [1]\n  mode: relu\ninput: [3, 8, 8]\nlayers:\n  - {op: relu}\n")
    with pytest.raises(SpecError, match=r"""mode: "'relu'"$"""):
        analyze(p)
    p.write_text("name: t\nvars:\n  a: 2 * b\n  b: 1\ninput: [3, 8, 8]\nlayers:\n  - {op: relu}\n")
    with pytest.raises(SpecError, match="vars are evaluated in order"):  # an expression: no string hint
        analyze(p)
