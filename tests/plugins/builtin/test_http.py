"""The shared HTTP layer's small rules: Retry-After, scrubbing, excerpts, the size cap and no hidden retries."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from plugins.base_provider import ErrorKind
from plugins.builtin import _http


@pytest.mark.parametrize(
    "value, expected",
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("Wed, 01 Jan 2025 00:00:30 GMT", 30.0),
        ("Tue, 31 Dec 2024 23:59:00 GMT", 0.0),  # already past: no wait
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(value, expected):
    now = datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)

    assert _http.parse_retry_after(value, now=now) == expected


def test_retry_after_ms_is_preferred_when_present():
    response = httpx.Response(429, headers={"retry-after-ms": "1500", "retry-after": "9"})

    error = _http.status_error(response, b"")

    assert error.kind == ErrorKind.RATE_LIMITED
    assert error.retry_after == 1.5


def test_scrub_replaces_the_key_and_its_url_encoded_spelling():
    key = "sk-a/b+c=d"
    text = f"echo: {key} and %2F: sk-a%2Fb%2Bc%3Dd"

    assert _http.scrub(text, key) == "echo: *** and %2F: ***"
    assert _http.scrub(text, "") == text


def test_error_excerpt_prefers_the_api_message_and_collapses_whitespace():
    body = b'{"error": {"message": "Rate limit\\n\\n  reached for model", "type": "requests"}}'

    assert _http.error_excerpt(body) == "Rate limit reached for model"
    assert _http.error_excerpt(b"<html>\n<b>Bad   Gateway</b>\n</html>") == "<html> <b>Bad Gateway</b> </html>"
    assert _http.error_excerpt(b"\xff\xfe broken").endswith("broken")
    assert len(_http.error_excerpt(b"y" * 10_000)) == _http.ERROR_EXCERPT_CHARS


def test_a_redirect_is_not_followed_but_reported_with_its_target():
    response = httpx.Response(301, headers={"location": "https://elsewhere.example/v1"})

    error = _http.status_error(response, b"")

    assert error.kind == ErrorKind.CLIENT_ERROR
    assert "https://elsewhere.example/v1" in error.message


def test_max_response_bytes_follows_settings(settings):
    settings.AITICKER_MAX_RESPONSE_BYTES = 4096

    assert _http.max_response_bytes() == 4096


def test_max_response_bytes_falls_back_without_the_setting(settings):
    del settings.AITICKER_MAX_RESPONSE_BYTES

    assert _http.max_response_bytes() == _http.DEFAULT_MAX_RESPONSE_BYTES


def test_merge_params_overrides_and_removes_with_null():
    merged = _http.merge_params({"a": 1, "b": 2}, {"b": 3, "a": None, "c": 4})

    assert merged == {"b": 3, "c": 4}


def test_the_transport_never_retries_connections_itself():
    client = _http.build_client("https://api.example.com/v1", {}, timeout=5)
    try:
        transport = client._transport
        assert isinstance(transport, _http.DeadlineTransport)
        assert transport._pool._retries == 0
        assert isinstance(transport._pool._network_backend, _http._DeadlineBackend)
    finally:
        client.close()


def test_a_connect_error_is_tried_once(respx_mock):
    route = respx_mock.post("https://api.example.com/v1/x").mock(side_effect=httpx.ConnectError("refused"))
    client = _http.build_client("https://api.example.com/v1", {}, timeout=5)
    try:
        with pytest.raises(_http.ProviderCallError) as raised:
            _http.request_json(client, "POST", "/x", timeout=5, json={})
    finally:
        client.close()

    assert raised.value.error.kind == ErrorKind.CONNECT
    assert route.call_count == 1
