"""Screenshot every page of ``reports/site/`` in headless Chromium into ``reports/screenshots/``.

    python docs/update_screenshots.py

Uses the same Debian Chromium + Selenium set-up as the browser tests
(``tests/report/conftest.py``). Screenshots are not byte-stable across machines,
so no test compares them; they are kept to be looked at.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    spec = importlib.util.spec_from_file_location("report_conftest", ROOT / "tests" / "report" / "conftest.py")
    browser = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(browser)
    if not browser.available():
        print("needs selenium and Debian's chromium + chromium-driver", file=sys.stderr)
        return 2
    out = ROOT / "reports" / "screenshots"
    out.mkdir(exist_ok=True)
    drv = browser.driver()
    try:
        for page in sorted((ROOT / "reports" / "site").glob("*.html")):
            drv.get(page.as_uri())
            target = out / (page.stem + ".png")
            drv.save_screenshot(str(target))
            print(f"wrote {target.relative_to(ROOT)}")
    finally:
        drv.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
