"""Debian's Chromium driven by Playwright (the driver only, no browser download), shared by the
back-office's browser tests. Screenshots land in test-output/ (look at them)."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUT = ROOT / "test-output"


@contextmanager
def chromium_browser():
    """Skipped only outside CI when /usr/bin/chromium is missing; under CI it fails instead
    (.ci/run installs Chromium first)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: apt-get install -y chromium")
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are
    # still plain synchronous code (the live server answers from its own thread).
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def watch_errors(page) -> list[str]:
    """What went wrong on the page: console errors and uncaught exceptions, Content-Security-Policy
    violations included (Chromium reports each as a console error; the violation event is logged
    too), and every answer of 400 or more but the favicon's (the site has none)."""
    errors: list[str] = []

    def console(message):
        # A failed load is reported with its URL below; the console line carries none.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(answer):
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", response)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return errors


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
