"""Every way an HTTP API fails ends the same way for every builtin: ``None``, the right ``last_error.kind``,
one logged reason, and never the API key in any of it."""

from __future__ import annotations

import logging

import httpx
import pytest

from plugins.base_provider import ErrorKind
from plugins.builtin import _http

from .conftest import API_KEY

SYSTEM, USER = "Be brief.", "Say something."


def assert_failed(provider, caplog, kind: str) -> None:
    """The call failed with ``kind``, a reason was logged, and the key leaked nowhere."""
    assert provider.last_error is not None, "a failed call must say why in last_error"
    assert provider.last_error.kind == kind, provider.last_error
    logged = [r for r in caplog.records if f"outcome={kind}" in r.getMessage()]
    assert logged, f"expected a log line with outcome={kind}, got: {caplog.text!r}"
    assert provider.last_error.message in logged[-1].getMessage()
    assert API_KEY not in caplog.text
    assert API_KEY not in str(provider.last_error)


@pytest.fixture
def call(builtin, make_provider, respx_mock, caplog):
    """Route the builtin's completion URL to ``responses`` and make one generate call."""
    caplog.set_level(logging.INFO)

    def run(*responses, **config):
        route = respx_mock.post(builtin.completion_url)
        if len(responses) > 1:
            route.mock(side_effect=list(responses))  # one per request, in order
        elif isinstance(responses[0], httpx.Response):
            route.mock(return_value=responses[0])  # every request
        else:
            route.mock(side_effect=responses[0])  # an exception raised on every request
        provider = make_provider(builtin, **config)
        result = provider.generate_message(SYSTEM, USER)
        return provider, result, route

    return run


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_is_auth_with_a_hint_and_not_retried(status, builtin, call, caplog):
    provider, result, route = call(httpx.Response(status, json={"error": {"message": "Invalid API key"}}))

    assert result is None
    assert route.call_count == 1
    assert_failed(provider, caplog, ErrorKind.AUTH)
    assert "check the API key" in provider.last_error.message
    assert provider.last_error.status_code == status


def test_rate_limit_is_retried_once_when_retry_after_fits_the_deadline(builtin, call, caplog, retry_waits):
    limited = httpx.Response(429, headers={"Retry-After": "2"}, json={"error": {"message": "slow down"}})
    provider, result, route = call(limited, limited, timeout=10)

    assert result is None
    assert route.call_count == 2
    assert retry_waits == [2.0]
    assert_failed(provider, caplog, ErrorKind.RATE_LIMITED)
    assert provider.last_error.retry_after == 2.0
    assert provider.last_error.status_code == 429


def test_rate_limit_then_success_returns_the_answer(builtin, call, retry_waits):
    limited = httpx.Response(429, headers={"Retry-After": "1"})
    provider, result, route = call(limited, httpx.Response(200, json=builtin.success), timeout=10)

    assert result is not None and result.content == "The ticker says hello."
    assert route.call_count == 2
    assert retry_waits == [1.0]
    assert provider.last_error is None


def test_rate_limit_is_not_retried_when_retry_after_exceeds_the_deadline(builtin, call, caplog, retry_waits):
    limited = httpx.Response(429, headers={"Retry-After": "3600"})
    provider, result, route = call(limited, httpx.Response(200, json=builtin.success), timeout=10)

    assert result is None
    assert route.call_count == 1
    assert retry_waits == []
    assert_failed(provider, caplog, ErrorKind.RATE_LIMITED)
    assert provider.last_error.retry_after == 3600.0


def test_rate_limit_without_retry_after_is_retried_once_after_a_short_pause(builtin, call, caplog, retry_waits):
    provider, result, route = call(httpx.Response(429), httpx.Response(429), timeout=10)

    assert result is None
    assert route.call_count == 2
    assert retry_waits == [_http.RETRY_BACKOFF_SECONDS]
    assert_failed(provider, caplog, ErrorKind.RATE_LIMITED)
    assert provider.last_error.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_is_retried_once_at_once_then_gives_up(status, builtin, call, caplog, retry_waits):
    provider, result, route = call(httpx.Response(status, text="upstream exploded"), timeout=10)

    assert result is None
    assert route.call_count == 2
    assert retry_waits == []  # no pause: the next provider in the chain is the backoff
    assert_failed(provider, caplog, ErrorKind.SERVER_ERROR)
    assert "upstream exploded" in provider.last_error.message


def test_server_error_then_success_returns_the_answer(builtin, call):
    provider, result, route = call(httpx.Response(503), httpx.Response(200, json=builtin.success), timeout=10)

    assert result is not None
    assert route.call_count == 2


def test_server_error_with_retry_after_waits_for_it(builtin, call, retry_waits):
    provider, result, route = call(httpx.Response(503, headers={"Retry-After": "2"}), timeout=10)

    assert result is None
    assert route.call_count == 2
    assert retry_waits == [2.0]


def test_server_error_is_not_retried_when_too_little_of_the_deadline_is_left(builtin, call, caplog, retry_waits):
    provider, result, route = call(httpx.Response(500), timeout=0.4)

    assert result is None
    assert route.call_count == 1
    assert retry_waits == []
    assert_failed(provider, caplog, ErrorKind.SERVER_ERROR)


def test_other_client_errors_carry_a_trimmed_excerpt_and_are_not_retried(builtin, call, caplog):
    long_message = "model 'nope' does not exist " + "x" * 5000
    provider, result, route = call(httpx.Response(404, json={"error": {"message": long_message}}))

    assert result is None
    assert route.call_count == 1
    assert_failed(provider, caplog, ErrorKind.CLIENT_ERROR)
    assert "model 'nope' does not exist" in provider.last_error.message
    assert len(provider.last_error.message) < 300


def test_timeout_is_timeout_and_not_retried(builtin, call, caplog):
    provider, result, route = call(httpx.ReadTimeout("timed out"))

    assert result is None
    assert route.call_count == 1
    assert_failed(provider, caplog, ErrorKind.TIMEOUT)


def test_connection_failure_is_connect(builtin, call, caplog):
    provider, result, route = call(httpx.ConnectError("[Errno 111] Connection refused"))

    assert result is None
    assert route.call_count == 1
    assert_failed(provider, caplog, ErrorKind.CONNECT)
    assert "Connection refused" in provider.last_error.message


def test_malformed_json_is_a_bad_response(builtin, call, caplog):
    provider, result, _ = call(httpx.Response(200, text='{"choices": [', headers={"content-type": "application/json"}))

    assert result is None
    assert_failed(provider, caplog, ErrorKind.BAD_RESPONSE)
    assert "not valid JSON" in provider.last_error.message


def test_json_of_the_wrong_shape_is_a_bad_response(builtin, call, caplog):
    provider, result, _ = call(httpx.Response(200, json=builtin.wrong_shape))

    assert result is None
    assert_failed(provider, caplog, ErrorKind.BAD_RESPONSE)


def test_a_json_array_instead_of_an_object_is_a_bad_response(builtin, call, caplog):
    provider, result, _ = call(httpx.Response(200, json=[builtin.success]))

    assert result is None
    assert_failed(provider, caplog, ErrorKind.BAD_RESPONSE)
    assert "expected a JSON object" in provider.last_error.message


def test_bytes_that_are_not_utf8_are_a_bad_response(builtin, call, caplog):
    provider, result, _ = call(httpx.Response(200, content=b'{"choices": "\xff\xfe\xfa"}'))

    assert result is None
    assert_failed(provider, caplog, ErrorKind.BAD_RESPONSE)
    assert "not UTF-8" in provider.last_error.message


def test_an_oversized_body_announced_by_content_length_is_too_large(builtin, call, caplog, settings):
    settings.AITICKER_MAX_RESPONSE_BYTES = 1024
    padded = {**builtin.success, "padding": "x" * 5000}

    provider, result, _ = call(httpx.Response(200, json=padded))

    assert result is None
    assert_failed(provider, caplog, ErrorKind.TOO_LARGE)


def test_an_oversized_streamed_body_stops_being_read_at_the_cap(builtin, call, caplog, settings):
    settings.AITICKER_MAX_RESPONSE_BYTES = 1024
    served: list[int] = []

    def endless_chunks():
        for index in range(1000):  # 64 MB if it were read to the end
            served.append(index)
            yield b"x" * 65536

    provider, result, _ = call(httpx.Response(200, content=endless_chunks()))

    assert result is None
    assert_failed(provider, caplog, ErrorKind.TOO_LARGE)
    assert len(served) <= 2, "reading must stop as soon as the cap is passed"


def test_an_answer_with_no_text_is_empty(builtin, call, caplog):
    provider, result, _ = call(httpx.Response(200, json=builtin.empty))

    assert result is None
    assert_failed(provider, caplog, ErrorKind.EMPTY)


def test_whitespace_only_content_is_empty(builtin, call, caplog):
    success = builtin.success
    if builtin.family == "openai":
        blank = {**success, "choices": [{"index": 0, "message": {"content": " \n\t "}, "finish_reason": "stop"}]}
    elif builtin.family == "anthropic":
        blank = {**success, "content": [{"type": "text", "text": "  \n"}]}
    else:
        blank = {**success, "candidates": [{"content": {"parts": [{"text": " \n "}]}, "finishReason": "STOP"}]}

    provider, result, _ = call(httpx.Response(200, json=blank))

    assert result is None
    assert_failed(provider, caplog, ErrorKind.EMPTY)


@pytest.mark.parametrize("status", [401, 400, 500])
def test_a_server_echoing_the_key_never_leaks_it(status, builtin, call, caplog):
    echo = f"Bad request. Headers: Authorization: Bearer {API_KEY}; x-api-key: {API_KEY}; x-goog-api-key: {API_KEY}"
    provider, result, _ = call(httpx.Response(status, text=echo), timeout=10)

    assert result is None
    assert API_KEY not in provider.last_error.message
    assert "***" in provider.last_error.message
    assert API_KEY not in caplog.text


def test_prompts_are_not_logged_at_info(builtin, call, caplog):
    call(httpx.Response(500, text="nope"), timeout=10)

    info_and_above = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert SYSTEM not in info_and_above
    assert USER not in info_and_above
