"""The committed reports/ are current: regenerate into tmp_path and compare byte for byte.

If this fails, run ``python docs/update_reports.py`` (or ``archcalc report --out reports/``) and commit the result.
PNG files are compared only for existence and format: raster output depends on
the FreeType build, so byte equality across machines is not a fair test; the
SVG of the same figure (text kept as text, fixed hash salt, no date) is compared.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archcalc.study.reports import write_reports

REPORTS = Path(__file__).resolve().parents[2] / "reports"
TEXT = {".md", ".tex", ".csv", ".svg", ".txt", ".json"}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    write_reports(out)
    return out


def committed(kind: str) -> list[Path]:
    files = sorted(p for p in REPORTS.glob("*") if p.is_file())
    return [p for p in files if (p.suffix in TEXT) == (kind == "text") and p.suffix != ".gitkeep"]


def test_reports_exist():
    names = {p.name for p in REPORTS.glob("*")}
    for name in ("architectures.md", "compare.md", "compare.tex", "mobilenet_grid.md", "breakdown.md",
                 "accuracy.png", "accuracy.svg"):
        assert name in names, f"reports/{name} missing: run `python docs/update_reports.py`"


def test_text_reports_current(regenerated):
    stale = [p.name for p in committed("text")
             if not (regenerated / p.name).exists() or (regenerated / p.name).read_bytes() != p.read_bytes()]
    assert not stale, f"stale reports {stale}: run `python docs/update_reports.py` and commit"


def test_no_report_missing_from_repo(regenerated):
    missing = [p.name for p in regenerated.glob("*") if not (REPORTS / p.name).exists()]
    assert not missing, f"reports {missing} are generated but not committed"


def test_png_reports_are_png(regenerated):
    for p in committed("binary"):
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert (regenerated / p.name).exists()
