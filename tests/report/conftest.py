"""Fixtures of the report tests: headless Debian Chromium through Selenium (skips cleanly without it).

Never downloads a browser or a driver: it uses ``/usr/bin/chromium`` and
``/usr/bin/chromedriver`` (Debian's ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

import shutil
import tempfile

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1300,1600")


def available() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))


def driver():
    """A Chrome WebDriver on Debian's Chromium, with browser console and network logs enabled."""
    if not available():
        pytest.skip("needs selenium and Debian's chromium + chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='archcalc-chromium-')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)


def _requested_urls(drv) -> list[tuple[str, str]]:
    """(URL, requesting document) of every request since the last call (from the performance log)."""
    import json

    urls = []
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append((msg["params"]["request"]["url"], msg["params"].get("documentURL", "")))
    return urls


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium session for the module (skips without selenium/chromium)."""
    drv = driver()
    yield drv
    drv.quit()


@pytest.fixture
def requested_urls():
    """A function: every URL a driver's page asked the network stack for."""
    return _requested_urls
