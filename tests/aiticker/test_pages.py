"""The dashboard and embed pages, and the admin: escaped content, strict CSP, framing rules, validation."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.http import QueryDict
from django.test import override_settings
from django.views.defaults import server_error

from aiticker.models import Message, Tick, TickerSettings
from aiticker.views import EmbedOptions, embed_options

from .conftest import show

pytestmark = pytest.mark.django_db

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-123")
    client.force_login(user)
    return client


def test_dashboard_shows_the_current_message_escaped(client, archive):
    show(*archive("An earlier message.", HOSTILE))
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<img src=x" not in html and not INLINE_SCRIPT.search(html)
    assert "An earlier message." in html  # the last few messages
    assert 'aria-live="polite"' in html and "aiticker/ticker.js" in html


def test_dashboard_empty_state(client):
    html = client.get("/").content.decode()
    assert "No message yet" in html


def test_pages_send_a_strict_csp_without_unsafe_inline(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_embed_is_framable_by_this_site_only_by_default(client):
    response = client.get("/embed/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


@override_settings(AITICKER_EMBED_FRAME_ANCESTORS=["https://obs.example.com"])
def test_embed_is_framable_by_the_configured_origins(client):
    response = client.get("/embed/")
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self' https://obs.example.com" in response["Content-Security-Policy"]
    assert client.get("/")["X-Frame-Options"] == "DENY"  # only the embed


def test_embed_options_are_validated_and_bad_values_ignored():
    assert embed_options(QueryDict("transparent=1&marquee=true&size=48&theme=dark")) == EmbedOptions(
        transparent=True, marquee=True, size=48, theme="dark"
    )
    assert embed_options(QueryDict("size=9999&theme=neon&transparent=maybe")) == EmbedOptions(size=160)
    assert embed_options(QueryDict("size=-5")) == EmbedOptions()
    assert embed_options(QueryDict("size=abc")) == EmbedOptions()
    assert embed_options(QueryDict("size=30px")).size == 32


def test_embed_renders_the_options_as_classes(client, archive):
    show(*archive(HOSTILE))
    html = client.get("/embed/?theme=dark&size=64&marquee=1&transparent=1").content.decode()
    assert re.search(r'<body class="page-embed theme-dark size-64 is-transparent is-marquee">', html)
    assert "&lt;script&gt;" in html and not INLINE_SCRIPT.search(html)


def test_pages_refuse_writes(client):
    assert client.post("/").status_code == 405


def test_the_page_assets_are_static_files():
    # Found by the staticfiles finders, so collectstatic ships them and whitenoise serves them.
    from django.contrib.staticfiles import finders

    assert finders.find("aiticker/ticker.js") and finders.find("aiticker/ticker.css")


def test_admin_lists_and_shows_messages_escaped(admin_client, archive):
    (message,) = archive(HOSTILE)
    show(message)
    for url in ("/admin/aiticker/message/", f"/admin/aiticker/message/{message.pk}/change/", "/admin/aiticker/tick/"):
        html = admin_client.get(url).content.decode()
        assert "window.__pwned" in html and "<script>window.__pwned" not in html, url
        assert "<img src=x" not in html


def test_admin_tick_page_lists_its_attempts(admin_client, make_provider, ticker_settings):
    import random

    from aiticker.engine import run_tick

    make_provider("down", priority=1, fail=True)
    make_provider("up", priority=2, reply="Served.")
    tick = run_tick(rng=random.Random(1)).tick
    html = admin_client.get(f"/admin/aiticker/tick/{tick.pk}/change/").content.decode()
    assert "down · server_error" in html and "up · ok" in html


def test_admin_ticker_settings_is_a_singleton_edit_form(admin_client):
    TickerSettings.load()
    response = admin_client.get("/admin/aiticker/tickersettings/")
    assert response.status_code == 302 and response["Location"].endswith("/tickersettings/1/change/")
    assert admin_client.get("/admin/aiticker/tickersettings/add/").status_code == 403
    assert admin_client.get("/admin/aiticker/tickersettings/1/delete/").status_code == 403


def test_admin_refuses_bad_settings_naming_the_field(admin_client):
    TickerSettings.load()
    data = {
        "interval_seconds": "30",
        "health_check_interval": "300",
        "reuse_probability": "1.5",
        "recent_limit": "10",
        "fuzzy_threshold": "90",
        "archive_limit": "1000",
    }
    response = admin_client.post("/admin/aiticker/tickersettings/1/change/", data)
    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"reuse_probability"}
    assert TickerSettings.load().reuse_probability == 0.2


def test_admin_can_delete_an_offending_message(admin_client, archive):
    (message,) = archive("offensive")
    show(message)
    response = admin_client.post(f"/admin/aiticker/message/{message.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Message.objects.exists() and not Tick.objects.exists()


def test_favicon_requests_get_the_ticker_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301 and response.url.endswith("aiticker/favicon.svg")
    assert finders.find("aiticker/favicon.svg")


@override_settings(DEBUG=False)
def test_an_unknown_page_is_a_friendly_404_with_the_strict_csp(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_the_500_page_says_what_happened_without_details(rf):
    response = server_error(rf.get("/"))

    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body and "Traceback" not in body
