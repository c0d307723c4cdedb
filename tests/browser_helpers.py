"""Chromium for page tests: Debian's ``chromium`` package driven by Playwright through its
executable path (no browser download). Import the fixtures into a test module:

    from tests.browser_helpers import browser, phone, office, shot  # noqa: F401

``phone`` is a 390×844 page (a common phone), ``office`` a 1366×768 one. ``shot(page,
name)`` saves a screenshot to the test's tmp folder and, with
``JIAOHAO_SCREENSHOTS=docs``, to docs/screenshots/NAME.png as well (regenerate, look at
them, commit). Tests are skipped, with the reason, when Chromium or Playwright is missing."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


_shared: dict = {}  # one Chromium for the session, however many modules import the fixture


@pytest.fixture(scope="session")
def browser():
    """Chromium for the session. Each module that imports this fixture gets an instance of
    its own, but Playwright's sync API runs once per thread: the first instance starts it,
    the others share it, the last one to finish stops it."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium package is not installed (scripts/setup.sh installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not _shared:
        pw = sync_playwright().start()
        _shared.update(pw=pw, users=0, browser=pw.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]))
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if not _shared["users"]:
            _shared["browser"].close()
            _shared["pw"].stop()
            _shared.clear()


def _page(browser, width: int, height: int, **options):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  device_scale_factor=1, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture
def phone(browser):
    """A phone-sized page (390×844, touch)."""
    context, page = _page(browser, 390, 844, has_touch=True, is_mobile=True)
    yield page
    context.close()


@pytest.fixture
def office(browser):
    """An office-screen page (1366×768)."""
    context, page = _page(browser, 1366, 768)
    yield page
    context.close()


@pytest.fixture
def shot(tmp_path):
    def save(page, name: str, full_page: bool = True) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if os.environ.get("JIAOHAO_SCREENSHOTS") == "docs":
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")
        return path
    return save
