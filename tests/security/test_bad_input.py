"""Bad input to the API is a 400 naming the field, never a 500, and nothing is written.

PostgreSQL refuses NUL in text and jsonb, and a lone surrogate cannot be encoded in a response; both must be
refused at the door, or the row they land in turns every later read into a 500.
"""

from __future__ import annotations

import json

import pytest

from aiticker.models import Message
from plugins.models import Plugin
from providers.models import Provider

from .conftest import MOCK_KEY

pytestmark = pytest.mark.django_db

VALID = {"name": "Fresh", "plugin": MOCK_KEY, "model": "mock-1"}


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"n": value}
    return value


#: (field, bad value). Each is sent by POST, PUT and PATCH; the 400 must name the field.
BAD_FIELDS = [
    ("name", ""),
    ("name", "   "),
    ("name", "n" * 101),
    ("name", "nul\x00byte"),
    ("name", "lone \ud800 surrogate"),
    ("name", ["a list"]),
    ("plugin", "plugins.nowhere:Missing"),
    ("plugin", "os:system"),
    ("plugin", 5),
    ("plugin", None),
    ("plugin", {"key": MOCK_KEY}),
    ("model", ""),
    ("model", "m" * 201),
    ("model", "\x00"),
    ("enabled", "maybe"),
    ("enabled", None),
    ("priority", -1),
    ("priority", "first"),
    ("priority", 10**30),
    ("priority", 1.5),
    ("base_url", "ftp://example.com"),
    ("base_url", "javascript:alert(1)"),
    ("base_url", "http://[::1"),
    ("base_url", "http://example.com:99999/"),
    ("base_url", "https://" + "h" * 600 + ".com"),
    ("base_url", "http://exa mple.com"),
    ("api_key", "k\x00k"),
    ("api_key", "k" * 4001),
    ("api_key", "fernet:gAAAAABnotarealtoken"),
    ("api_key", "\udfff"),
    ("clear_api_key", "perhaps"),
    ("timeout", 0),
    ("timeout", 301),
    ("timeout", "soon"),
    ("max_tokens", 0),
    ("max_tokens", 32769),
    ("max_tokens", -5),
    ("max_tokens", "lots"),
    ("max_tokens", 2.5),
    ("temperature", -0.1),
    ("temperature", 2.01),
    ("temperature", "hot"),
    ("temperature", 1e308 * 10),  # infinity: JSON-encoded below as 1e999
    ("extra_params", [1, 2]),
    ("extra_params", "{}"),
    ("extra_params", 3),
    ("extra_params", {"stop": "\x00"}),
    ("extra_params", {"nul\x00key": 1}),
    ("extra_params", {"deep": ["\ud800"]}),
    ("extra_params", nested(40)),
    ("extra_headers", {"X-Count": 1}),
    ("extra_headers", {"X-Evil": "a\r\nSet-Cookie: pwned=1"}),
    ("extra_headers", {"X-Nul": "\x00"}),
    ("extra_headers", ["X-Header"]),
    ("notes", "\x00"),
    ("notes", "\ud83d"),
]


def send(client, method: str, url: str, body) -> object:
    """Send ``body`` as JSON text; ensure_ascii escapes surrogates, 1e999 stands for infinity."""
    text = json.dumps(body, ensure_ascii=True).replace("Infinity", "1e999")
    return getattr(client, method)(url, text, content_type="application/json")


def assert_names_field(response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    errors = response.json()
    assert field in errors, f"400 without naming {field!r}: {errors}"
    assert all(isinstance(m, str) and m for m in errors[field]), errors


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS, ids=[f"{f}={v!r:.30}" for f, v in BAD_FIELDS])
def test_create_with_a_bad_field_is_a_400_naming_it_and_stores_nothing(staff_api, mock_plugin, field, value):
    response = send(staff_api, "post", "/api/providers/", {**VALID, field: value})
    assert_names_field(response, field)
    assert not Provider.objects.exists()


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS, ids=[f"{f}={v!r:.30}" for f, v in BAD_FIELDS])
@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_with_a_bad_field_is_a_400_naming_it_and_changes_nothing(staff_api, mock_provider, field, value, method):
    before = Provider.objects.values().get(pk=mock_provider.pk)
    body = {**VALID, field: value} if method == "put" else {field: value}
    response = send(staff_api, method, f"/api/providers/{mock_provider.pk}/", body)
    assert_names_field(response, field)
    assert Provider.objects.values().get(pk=mock_provider.pk) == before
    # The row is still readable: nothing unencodable slipped in.
    assert staff_api.get("/api/providers/").status_code == 200


ODD_BUT_FINE = [
    "Lobby \u202eoverride\u202c screen",  # RTL override: stored as typed, escaped on output
    "Café ☕ ticker 🚀",
    "e\u0301\u0301 combining",
    "\u200b zero width",
    "👩‍👩‍👧 family",
]


@pytest.mark.parametrize("text", ODD_BUT_FINE)
def test_odd_but_valid_unicode_round_trips_unchanged(staff_api, mock_plugin, text):
    response = send(staff_api, "post", "/api/providers/", {**VALID, "name": text, "notes": text})
    assert response.status_code == 201, response.content
    stored = Provider.objects.get()
    assert (stored.name, stored.notes) == (text, text)
    listed = staff_api.get("/api/providers/").json()["results"][0]
    assert (listed["name"], listed["notes"]) == (text, text)


MALFORMED_BODIES = [
    ("truncated JSON", b'{"name": "x",'),
    ("not JSON at all", b"name=x&plugin=y"),
    ("a JSON list", b'[{"name": "x"}]'),
    ("JSON null", b"null"),
    ("a bare string", b'"hello"'),
    ("NaN literal", b'{"temperature": NaN}'),
    ("not UTF-8", b'{"name": "\xff\xfe"}'),
    ("nested too deeply for the decoder", b'{"extra_params": {"n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"),
]


def writable_urls(provider: Provider) -> list[tuple[str, str]]:
    return [
        ("post", "/api/providers/"),
        ("put", f"/api/providers/{provider.pk}/"),
        ("patch", f"/api/providers/{provider.pk}/"),
        ("post", f"/api/providers/{provider.pk}/test/"),
        ("patch", f"/api/plugins/{MOCK_KEY}/"),
    ]


@pytest.mark.parametrize(("label", "body"), MALFORMED_BODIES, ids=[label for label, _ in MALFORMED_BODIES])
def test_malformed_bodies_are_400s_on_every_writable_endpoint(staff_api, mock_provider, label, body):
    before = (list(Provider.objects.values()), list(Plugin.objects.values("key", "enabled")))
    for method, url in writable_urls(mock_provider):
        response = getattr(staff_api, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (method, url, response.status_code, response.content[:300])
        assert response.json(), (method, url)
    assert (list(Provider.objects.values()), list(Plugin.objects.values("key", "enabled"))) == before


def test_an_unsupported_content_type_is_refused_not_crashed(staff_api, mock_provider):
    for method, url in writable_urls(mock_provider):
        response = getattr(staff_api, method)(url, "<xml/>", content_type="application/xml")
        assert response.status_code == 415, (method, url, response.status_code)


def test_a_body_over_the_configured_limit_is_refused_before_it_is_parsed(staff_api, mock_provider, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    small = {**VALID, "name": "Small", "notes": "n" * 1000}
    big = {**VALID, "name": "Big", "notes": "n" * 5000}
    for method, url in writable_urls(mock_provider):
        response = send(staff_api, method, url, big)
        assert response.status_code == 400, (method, url, response.status_code)
    assert not Provider.objects.filter(name="Big").exists()
    assert Provider.objects.get(pk=mock_provider.pk).notes == ""
    # The limit is the setting, not a fixed number: the same endpoint takes a body under it.
    assert send(staff_api, "post", "/api/providers/", small).status_code == 201


def test_the_request_limit_comes_from_the_environment_setting(settings):
    from aiticker import settings as project_settings

    assert project_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert 1024 <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 100_000_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enabled": "maybe"}, "enabled"),
        ({"enabled": None}, "enabled"),
        ({"enabled": [True]}, "enabled"),
    ],
)
def test_plugin_patch_with_a_bad_value_is_a_400_naming_it(staff_api, mock_plugin, body, field):
    response = send(staff_api, "patch", f"/api/plugins/{MOCK_KEY}/", body)
    assert_names_field(response, field)
    assert Plugin.objects.get(key=MOCK_KEY).enabled is True


def test_enabling_a_broken_plugin_is_a_400_naming_enabled(staff_api, db):
    Plugin.objects.create(
        key="plugins.custom.broken:BrokenPlugin",
        source=Plugin.Source.CUSTOM,
        status=Plugin.Status.INVALID,
        error="generate_message is missing",
        enabled=False,
    )
    response = send(staff_api, "patch", "/api/plugins/plugins.custom.broken:BrokenPlugin/", {"enabled": True})
    assert_names_field(response, "enabled")
    assert "generate_message is missing" in response.json()["enabled"][0]
    assert Plugin.objects.get(key="plugins.custom.broken:BrokenPlugin").enabled is False


def test_unknown_plugin_and_provider_are_404s(staff_api, mock_provider):
    assert send(staff_api, "patch", "/api/plugins/plugins.nowhere:Missing/", {"enabled": True}).status_code == 404
    assert send(staff_api, "patch", "/api/providers/999999/", {"model": "x"}).status_code == 404
    assert send(staff_api, "post", "/api/providers/999999/test/", {}).status_code == 404
    assert staff_api.get("/api/providers/99999999999999999999999999/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"system_prompt": "x" * 4001}, "system_prompt"),
        ({"user_prompt": "\x00"}, "user_prompt"),
        ({"user_prompt": "\ud800"}, "user_prompt"),
        ({"system_prompt": ["a"]}, "system_prompt"),
    ],
)
def test_provider_test_action_refuses_bad_prompts_by_name_and_makes_no_call(staff_api, mock_provider, body, field):
    response = send(staff_api, "post", f"/api/providers/{mock_provider.pk}/test/", body)
    assert_names_field(response, field)
    assert not mock_provider.attempts.exists()


#: (path, query, the field a 400 must name, or None when the value may be ignored)
GARBAGE_FILTERS = [
    ("/api/providers/", "enabled=maybe", None),
    ("/api/providers/", "healthy=sometimes", "healthy"),
    ("/api/providers/", "plugin=%00", "plugin"),
    ("/api/providers/", "plugin=%ED%A0%80", None),  # the UTF-8 bytes of a lone surrogate
    ("/api/providers/", "page=abc", None),
    ("/api/providers/", "page=-1", None),
    ("/api/providers/", "page=99999999999999999999999", None),
    ("/api/plugins/", "status=broken", "status"),
    ("/api/plugins/", "source=%00", "source"),
    ("/api/plugins/", "enabled=2", None),
    ("/api/plugins/", "category=%00", "category"),
    ("/api/messages/", "created_after=yesterday", "created_after"),
    ("/api/messages/", "created_before=2024-13-45T99:00:00", "created_before"),
    ("/api/messages/", "created_after=9999-12-31T23:59:59-12:00", "created_after"),
    ("/api/messages/", "created_before=0001-01-01T00:00:00%2B14:00", "created_before"),
    ("/api/messages/", "source=sometimes", "source"),
    ("/api/messages/", "provider=%00", "provider"),
    ("/api/messages/", "profile=" + "p" * 10000, None),
    ("/api/messages/", "page=0", None),
]


@pytest.mark.parametrize(
    ("path", "query", "field"), GARBAGE_FILTERS, ids=[f"{p}?{q:.40}" for p, q, _ in GARBAGE_FILTERS]
)
def test_garbage_filter_values_are_refused_by_name_or_ignored(staff_api, path, query, field):
    Message.objects.create(content="An archived message.", provider_name="earlier")
    response = staff_api.get(f"{path}?{query}")
    assert response.status_code < 500, response.content[:300]
    if field is not None:
        assert_names_field(response, field)


def test_a_date_filter_with_an_offset_postgresql_refuses_is_compared_in_utc(staff_api):
    """Python accepts ``-18:44``; PostgreSQL refuses offsets past ±15:59, so the filter must send UTC."""
    Message.objects.create(content="An archived message.", provider_name="earlier")

    before = staff_api.get("/api/messages/?created_after=2000-01-01T00:00:00-18:44")
    after = staff_api.get("/api/messages/?created_after=2999-01-01T00:00:00-18:44")

    assert (before.status_code, after.status_code) == (200, 200)
    assert (before.json()["count"], after.json()["count"]) == (1, 0)
