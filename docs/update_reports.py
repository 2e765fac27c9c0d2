"""Regenerate this repository's ``reports/`` folder: ``python docs/update_reports.py``.

The content (comparison tables, MobileNet's grid, breakdowns, the accuracy figure,
the homework derivations) is built by :func:`archcalc.study.reports.write_reports`,
the same function ``archcalc report --out DIR`` runs; this script only pins the
output to the repository's own ``reports/`` next to ``docs/``.
``tests/report/test_reports_current.py`` regenerates into a temporary directory and
compares byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from archcalc.study.reports import write_reports

    for p in write_reports(ROOT / "reports"):
        print(f"wrote {p.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
