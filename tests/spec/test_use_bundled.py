"""A user's spec can ``use:`` the bundled block files (``archcalc:blocks/se.yaml``)."""

from __future__ import annotations

import pytest

from archcalc.api import analyze
from archcalc.errors import SpecError

SPEC = """\
name: my SE net
use: [{use}]
input: [3, 32, 32]
layers:
  - {{op: conv2d, out_channels: 64, kernel_size: 3, padding: 1, bias: false}}
  - {{block: se, reduced: 4}}
"""


def _write(tmp_path, use: str):
    p = tmp_path / "mine.yaml"
    p.write_text(SPEC.format(use=use))
    return p


def test_use_bundled_se_block_from_anywhere(tmp_path):
    a = analyze(_write(tmp_path, "archcalc:blocks/se.yaml"))
    # conv 3*64*9 = 1728; SE: reduce 64*4 + 4, expand 4*64 + 64 (torch.nn.Conv2d counts)
    assert a.totals["params"] == 1728 + 260 + 320
    assert [c.name for c in a.layers][-3:] == ["se.expand", "se.gate", "se.scale"]


def test_use_bundled_block_that_uses_another(tmp_path):
    p = tmp_path / "res.yaml"
    p.write_text("name: r\nuse: [archcalc:blocks/residual.yaml]\ninput: [3, 64, 64]\nlayers:\n"
                 "  - {block: stem}\n  - {block: bottleneck, planes: 64, se_reduction: 16}\n")
    a = analyze(p)  # residual.yaml itself uses se.yaml, relative to the bundled file
    assert any(c.name.endswith("se.module.reduce") for c in a.layers)


@pytest.mark.parametrize("use, message", [
    ("archcalc:blocks/sse.yaml", "no bundled block file 'archcalc:blocks/sse.yaml' (bundled: archcalc:blocks/convnext.yaml"),
    ("archcalc:../../etc/passwd", "leaves the bundled specs"),
    ("blocks/se.yaml", "no block file 'blocks/se.yaml'"),  # a relative path stays relative to the spec
])
def test_use_errors_name_the_line_and_the_choices(tmp_path, use, message):
    with pytest.raises(SpecError) as e:
        analyze(_write(tmp_path, use))
    assert message in str(e.value) and "mine.yaml:2" in str(e.value)


def test_the_documented_example_runs(tmp_path):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "spec-format.md").read_text()
    text = re.search(r"```yaml\n(name: my SE net.*?)```", doc, re.S).group(1)
    p = tmp_path / "doc.yaml"
    p.write_text(text)
    a = analyze(p)
    assert a.totals["params"] == 9536 + 64 * 64 * 9 + (64 * 4 + 4) + (4 * 64 + 64)
