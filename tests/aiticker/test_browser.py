"""The pages in a real headless Chromium (Debian's package, driven by Playwright) against a live server.

On a developer machine without /usr/bin/chromium these tests skip and say why; in CI (CI set) they fail
instead, so a missing browser can never pass for a green run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from aiticker.engine import run_tick

from .conftest import DISTINCT

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">\u202eevil'
HOSTILE_TOO = '<svg onload="alert(document.domain)"></svg><b>Bold claims</b> ' + "x" * 400

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the tests are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.dialogs = []
    page.csp_errors = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "console",
        lambda msg: page.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()


def _content(page) -> str:
    return page.text_content("[data-ticker-content]")


def _wait_for_content(page, text: str, timeout: float = 8000) -> None:
    page.wait_for_function(
        "expected => document.querySelector('[data-ticker-content]').textContent === expected",
        arg=text,
        timeout=timeout,
    )


def test_the_page_shows_the_message_and_the_next_one_without_reloading(
    page, live_server, make_provider, ticker_settings
):
    ticker_settings(interval_seconds=1)
    make_provider("alpha", replies=DISTINCT)
    run_tick(rng=random.Random(1))

    page.goto(live_server.url + "/")
    assert _content(page) == DISTINCT[0]
    assert "alpha" in page.text_content("[data-ticker-attribution]")
    page.evaluate("window.__sameDocument = true")

    run_tick(rng=random.Random(1))
    _wait_for_content(page, DISTINCT[1])

    assert page.evaluate("window.__sameDocument") is True, "updated in place, not by a reload"
    assert DISTINCT[0] in page.text_content("[data-ticker-recent]")
    assert page.csp_errors == []


def test_clicking_refreshes_at_once(page, live_server, make_provider, ticker_settings):
    ticker_settings(interval_seconds=600)  # no poll would come in time: only the click can fetch
    make_provider("alpha", replies=DISTINCT)
    run_tick(rng=random.Random(1))
    page.goto(live_server.url + "/")
    assert _content(page) == DISTINCT[0]

    run_tick(rng=random.Random(1))
    page.click("button.refresh")

    _wait_for_content(page, DISTINCT[1], timeout=3000)


def test_hostile_content_is_shown_as_text_and_nothing_executes(page, live_server, make_provider, ticker_settings):
    ticker_settings(interval_seconds=1)
    make_provider("evil", replies=[HOSTILE, HOSTILE_TOO])
    run_tick(rng=random.Random(1))

    page.goto(live_server.url + "/")
    assert _content(page) == HOSTILE  # rendered by the server template
    run_tick(rng=random.Random(1))
    _wait_for_content(page, HOSTILE_TOO)  # inserted by ticker.js

    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.locator("[data-ticker-content] *").count() == 0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1000, "untrusted text must not widen the page"


def test_the_embed_page_renders_with_its_options(page, live_server, make_provider, ticker_settings):
    ticker_settings(interval_seconds=1)
    make_provider("alpha", replies=DISTINCT)
    run_tick(rng=random.Random(1))

    page.goto(live_server.url + "/embed/?theme=dark&size=48&transparent=1")

    assert _content(page) == DISTINCT[0]
    assert page.evaluate("getComputedStyle(document.querySelector('.embed-text')).fontSize") == "48px"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgba(0, 0, 0, 0)"
    run_tick(rng=random.Random(1))
    _wait_for_content(page, DISTINCT[1])
    assert page.csp_errors == []


def test_the_dashboard_fits_a_phone(page, live_server, archive, ticker_settings):
    from .conftest import show

    show(*archive("word " * 300))
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(live_server.url + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
