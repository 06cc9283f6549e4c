"""Every HTTP failure kind, through the builtin OpenRouter plugin with respx: one failed attempt, right kind."""

from __future__ import annotations

import json

import httpx
import pytest
from django.db import transaction

from plugins.base_provider import ErrorKind
from providers import runtime
from providers.models import Attempt, Provider

from .conftest import OPENROUTER_URL
from .fakes import CANARY_KEY

pytestmark = pytest.mark.django_db

COMPLETIONS = f"{OPENROUTER_URL}/chat/completions"


def completion(content="Fresh news from the ticker."):
    return {
        "id": "gen-1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
    }


@pytest.fixture
def openrouter(openrouter_plugin) -> Provider:
    return Provider.objects.create(
        name="OpenRouter", plugin=openrouter_plugin, model="openai/gpt-4o-mini", api_key=CANARY_KEY, timeout=2
    )


def call_and_record(provider):
    outcome = runtime.generate(provider, "Be brief.", "Say something.")
    with transaction.atomic():
        runtime.record_outcomes([outcome])
    return outcome


def test_a_successful_call_is_one_ok_attempt_with_tokens(openrouter, respx_mock):
    route = respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(200, json=completion()))

    outcome = call_and_record(openrouter)

    assert outcome.ok and outcome.content == "Fresh news from the ticker."
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {CANARY_KEY}"
    attempt = Attempt.objects.get()
    assert (attempt.ok, attempt.total_tokens, attempt.prompt_tokens) == (True, 17, 12)


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (httpx.ConnectError("connection refused"), ErrorKind.CONNECT),
        (httpx.ReadTimeout("read timed out"), ErrorKind.TIMEOUT),
        (httpx.Response(401, json={"error": {"message": "No auth credentials found"}}), ErrorKind.AUTH),
        (httpx.Response(403, json={"error": {"message": "forbidden"}}), ErrorKind.AUTH),
        (httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "slow down"}), ErrorKind.RATE_LIMITED),
        (httpx.Response(500, text="internal error"), ErrorKind.SERVER_ERROR),
        (httpx.Response(200, text="{not json"), ErrorKind.BAD_RESPONSE),
        (httpx.Response(200, json=completion("   ")), ErrorKind.EMPTY),
    ],
    ids=["connect", "timeout", "401", "403", "429-retry-after", "500", "malformed-json", "empty-content"],
)
def test_each_http_failure_is_exactly_one_failed_attempt_of_the_right_kind(openrouter, respx_mock, response, kind):
    route = respx_mock.post(COMPLETIONS)
    if isinstance(response, Exception):
        route.mock(side_effect=response)
    else:
        route.mock(return_value=response)

    outcome = call_and_record(openrouter)

    attempt = Attempt.objects.get()
    assert (outcome.ok, outcome.error_kind) == (False, kind)
    assert (attempt.ok, attempt.error_kind, attempt.purpose) == (False, kind, Attempt.Purpose.GENERATE)
    # The builtin HTTP layer retries 429/5xx at most once; the runtime adds no retry of its own.
    assert route.call_count <= (2 if kind in ErrorKind.RETRYABLE else 1)
    openrouter.refresh_from_db()
    assert openrouter.consecutive_failures == 1
    assert CANARY_KEY not in attempt.error and CANARY_KEY not in openrouter.last_error


def test_a_401_tells_the_operator_to_check_the_key(openrouter, respx_mock):
    respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(401, json={"error": "bad key"}))

    call_and_record(openrouter)

    openrouter.refresh_from_db()
    assert openrouter.healthy == Provider.Health.NO
    assert "check the API key" in openrouter.last_error


def test_an_error_body_echoing_the_key_is_scrubbed_before_storage(openrouter, respx_mock):
    body = json.dumps({"error": f"invalid key {CANARY_KEY} in header Authorization: Bearer {CANARY_KEY}"})
    respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(400, text=body))

    outcome = call_and_record(openrouter)

    assert outcome.error_kind == ErrorKind.CLIENT_ERROR
    assert CANARY_KEY not in Attempt.objects.get().error
