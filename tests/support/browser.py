"""Debian's headless Chromium, driven by Selenium, for tests of pages Postwarden writes.

`chromium()` starts the browser with the driver Debian installs (/usr/bin/chromedriver,
/usr/bin/chromium; the Makefile's DEB_PACKAGES) and yields a `Browser`: the WebDriver plus what
the tests check on every page — console errors and every URL the page requested.  Both paths
are given explicitly and SE_MANAGER_PATH points at nothing, so Selenium Manager (which would
download a driver) can never run: a missing browser fails the test, it never fetches one.

Use the `browser` fixture (import it into the test module: ``from tests.support.browser import
browser``) or the context manager directly.  `ARTIFACTS` (tests/artifacts/, gitignored) holds
screenshots for a person to look at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class Browser:
    driver: WebDriver

    def open(self, url: str) -> None:
        self.driver.get(url)

    def console_errors(self) -> list[dict[str, Any]]:
        """Console messages of level SEVERE since the last call (errors, CSP violations)."""
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for since the last call (from the DevTools network log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        assert self.driver.save_screenshot(str(path)), f"no screenshot written to {path}"
        return path


@contextmanager
def chromium(width: int = 1280, height: int = 2000) -> Iterator[Browser]:
    """A headless Chromium (see the module docstring); quit when the block ends."""
    for path in (CHROMIUM, CHROMEDRIVER):
        assert os.access(path, os.X_OK), f"{path} missing: make system-deps installs it"
    os.environ["SE_MANAGER_PATH"] = "/nonexistent/selenium-manager"  # never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # tests run as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield Browser(driver)
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module."""
    with chromium() as b:
        yield b
