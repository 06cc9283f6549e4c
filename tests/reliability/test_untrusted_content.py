"""Untrusted model output: markup, script, RTL overrides and 10,000 characters are shown as text, never run,
and never break the layout — on the dashboard, the embed view and the admin, in a real browser.

The messages come through the real engine from the offline mock plugin (its ``fixed`` answer), so what the
pages show is exactly what a tick stored.
"""

from __future__ import annotations

import random

import pytest
from django.test import override_settings
from django.utils.text import Truncator

from aiticker.engine import run_tick
from aiticker.models import Message, Tick

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
RTL = "Invoice \u202eexe.fdp\u202c attached \u202eright-to-left override"
LONG = "W" * 10_000  # one unbroken "word": only overflow-wrap keeps it inside the bubble
HOSTILE = {"script": SCRIPT, "img-onerror": IMG, "rtl-override": RTL, "10000-chars": LONG}
BENIGN = "A calm message before the storm."
VIEWPORT = {"width": 1000, "height": 800}


def say(provider, text: str) -> Tick:
    """One tick in which the mock provider answers ``text``."""
    provider.extra_params = {"fixed": text}
    provider.save()
    result = run_tick(rng=random.Random(1))
    assert result.source == Tick.Source.FRESH, result.detail
    return result.tick


# --- length cap -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_answer_longer_than_the_cap_is_cut_at_a_word_boundary(mock_provider, ticker_settings):
    answer = SCRIPT + " " + " ".join(["word"] * 3000)
    with override_settings(AITICKER_MAX_MESSAGE_LENGTH=200):
        tick = say(mock_provider, answer)

    content = tick.message.content
    assert len(content) <= 200 and content.endswith("word…")
    assert content.startswith(SCRIPT), "stored verbatim: escaping is the pages' job, not the engine's"


@pytest.mark.django_db
def test_an_unbroken_answer_longer_than_the_cap_is_cut_hard(mock_provider, ticker_settings):
    with override_settings(AITICKER_MAX_MESSAGE_LENGTH=500):
        tick = say(mock_provider, LONG)

    assert tick.message.content == "W" * 499 + "…"


@pytest.mark.django_db
def test_markup_and_bidi_controls_are_kept_as_text(mock_provider, ticker_settings):
    for text in (SCRIPT, IMG, RTL):
        assert say(mock_provider, text).message.content == text
    assert Message.objects.count() == 3


# --- in the browser ---------------------------------------------------------------------------------------------


def assert_shown_as_text(page, selector: str, text: str, box_selector: str) -> None:
    """``text`` is the element's text, nothing was injected or executed, and the layout kept its width."""
    element = page.locator(selector)
    assert element.text_content() == text
    assert element.locator("*").count() == 0, "no element was created from the message"
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("[...document.scripts].every(script => !script.textContent.includes('alert(1)'))")
    assert page.dialogs == [], "nothing executed"
    box = page.locator(box_selector).first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"], "the page grew sideways"


@pytest.fixture
def ticking(mock_provider, ticker_settings):
    ticker_settings.interval_seconds = 600  # no poll interferes: the test clicks to refresh
    ticker_settings.save()
    with override_settings(AITICKER_MAX_MESSAGE_LENGTH=10_000):
        yield lambda text: say(mock_provider, text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "box_selector"), [("/", ".bubble"), ("/embed/", ".embed-text")], ids=["dashboard", "embed"]
)
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_messages_are_text_on_the_pages(page, live_server, ticking, path, box_selector, text):
    page.set_viewport_size(VIEWPORT)
    ticking(BENIGN)
    page.goto(live_server.url + path)

    ticking(text)  # arrives through /api/ticker/ and ticker.js
    page.locator("[data-ticker-refresh]").first.click()
    page.wait_for_function(
        "expected => document.querySelector('[data-ticker-content]').textContent === expected", arg=text
    )
    assert_shown_as_text(page, "[data-ticker-content]", text, box_selector)

    page.reload()  # rendered by the server's template
    assert_shown_as_text(page, "[data-ticker-content]", text, box_selector)


@pytest.fixture
def admin_page(page, live_server, admin_user):
    page.set_viewport_size(VIEWPORT)
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_hostile_messages_are_text_in_the_admin_changelist(admin_page, live_server, ticking):
    for text in HOSTILE.values():
        ticking(text)

    admin_page.goto(live_server.url + "/admin/aiticker/message/")

    cells = admin_page.locator("td.field-short_content")
    assert sorted(cells.all_text_contents()) == sorted(Truncator(text).chars(100) for text in HOSTILE.values())
    assert cells.locator("*").count() == 0
    assert admin_page.locator('img[src="x"]').count() == 0
    assert admin_page.dialogs == []
    assert admin_page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_message_is_text_on_its_admin_page(admin_page, live_server, ticking, text):
    message = ticking(text).message

    admin_page.goto(f"{live_server.url}/admin/aiticker/message/{message.pk}/change/")

    assert_shown_as_text(admin_page, ".field-content .readonly", text, ".field-content .readonly")
