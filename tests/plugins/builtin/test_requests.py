"""Each builtin sends the exact request its API documents and reads a real-shaped answer into an AIResponse."""

from __future__ import annotations

import json

import httpx
import pytest

from plugins.base_provider import ErrorKind
from plugins.builtin.openrouter_provider import OpenRouterPlugin

from .conftest import API_KEY, BUILTINS, anthropic_message, gemini_content, openai_completion, provider_config

SYSTEM = "You write one short upbeat sentence."
USER = "Something about Mondays."

OPENAI_FAMILY = [b for b in BUILTINS if b.family == "openai"]
ANTHROPIC = next(b for b in BUILTINS if b.family == "anthropic")
GEMINI = next(b for b in BUILTINS if b.family == "gemini")


def sent_json(route) -> dict:
    return json.loads(route.calls.last.request.content)


# --- OpenAI-compatible family -------------------------------------------------------------------------------


@pytest.mark.parametrize("builtin", OPENAI_FAMILY, ids=[b.id for b in OPENAI_FAMILY])
def test_openai_family_posts_chat_completion_with_every_setting(builtin, make_provider, respx_mock):
    route = respx_mock.post(builtin.completion_url).mock(return_value=httpx.Response(200, json=builtin.success))
    provider = make_provider(
        builtin,
        max_tokens=100,
        temperature=0.3,
        extra_params={"top_p": 0.9, "seed": 7},
        extra_headers={"X-Custom": "yes"},
    )

    response = provider.generate_message(SYSTEM, USER)

    request = route.calls.last.request
    assert request.method == "POST"
    assert str(request.url) == builtin.completion_url
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-custom"] == "yes"
    assert sent_json(route) == {
        "model": provider.config.model,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
        "max_tokens": 100,
        "temperature": 0.3,
        "top_p": 0.9,
        "seed": 7,
    }
    assert response is not None
    assert response.content == "The ticker says hello."
    assert response.provider_name == provider.provider_name
    assert response.model == provider.config.model
    assert response.usage == {"prompt_tokens": 21, "completion_tokens": 6, "total_tokens": 27}
    assert response.total_tokens == 27
    assert response.metadata["finish_reason"] == "stop"
    assert response.metadata["response_id"] == "chatcmpl-abc123"
    assert response.metadata["created"] == 1_735_689_600
    assert provider.last_error is None


def test_extra_params_may_replace_a_field_by_setting_it_to_null(make_provider, respx_mock):
    openai = next(b for b in OPENAI_FAMILY if b.id == "openai")
    route = respx_mock.post(openai.completion_url).mock(return_value=httpx.Response(200, json=openai.success))
    provider = make_provider(openai, extra_params={"max_tokens": None, "max_completion_tokens": 64})

    assert provider.generate_message(SYSTEM, USER) is not None

    body = sent_json(route)
    assert "max_tokens" not in body
    assert body["max_completion_tokens"] == 64


def test_openrouter_identifies_the_app_and_lets_extra_headers_override(make_provider, respx_mock):
    openrouter = next(b for b in OPENAI_FAMILY if b.plugin is OpenRouterPlugin)
    route = respx_mock.post(openrouter.completion_url).mock(return_value=httpx.Response(200, json=openrouter.success))

    make_provider(openrouter).generate_message(SYSTEM, USER)
    assert route.calls.last.request.headers["x-title"] == "AI-Ticker"
    assert route.calls.last.request.headers["http-referer"].startswith("https://")

    make_provider(openrouter, extra_headers={"X-Title": "Lobby screen"}).generate_message(SYSTEM, USER)
    assert route.calls.last.request.headers["x-title"] == "Lobby screen"


def test_generic_openai_compatible_server_needs_no_key_and_sends_no_authorization(make_provider, respx_mock):
    generic = next(b for b in OPENAI_FAMILY if b.id == "openai-compatible")
    url = "http://127.0.0.1:8080/v1/chat/completions"
    route = respx_mock.post(url).mock(return_value=httpx.Response(200, json=generic.success))
    provider = make_provider(generic, api_key="", base_url="http://127.0.0.1:8080/v1/", model="qwen2.5:7b")

    response = provider.generate_message(SYSTEM, USER)

    assert response is not None and response.content == "The ticker says hello."
    assert "authorization" not in route.calls.last.request.headers
    assert sent_json(route)["model"] == "qwen2.5:7b"


def test_generic_openai_compatible_server_requires_a_base_url(caplog):
    generic = next(b for b in OPENAI_FAMILY if b.id == "openai-compatible")
    provider = generic.plugin.create_provider(provider_config(generic, base_url="", api_key=""))

    assert provider.validate_config() is False
    assert provider.initialize() is False
    assert provider.last_error.kind == ErrorKind.INIT_FAILED
    assert "base_url is required" in provider.last_error.message
    assert "http://localhost:11434/v1" in provider.last_error.message


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            [{"type": "text", "text": "Part one, "}, {"type": "image_url"}, {"type": "text", "text": "part two."}],
            "Part one, part two.",
        ),
        ("  padded answer \n", "padded answer"),
    ],
)
def test_openai_family_reads_text_parts_and_trims(content, expected, make_provider, respx_mock):
    openai = OPENAI_FAMILY[0]
    respx_mock.post(openai.completion_url).mock(return_value=httpx.Response(200, json=openai_completion(content)))

    response = make_provider(openai).generate_message(SYSTEM, USER)

    assert response is not None and response.content == expected


@pytest.mark.parametrize(
    "code, kind",
    [
        (429, ErrorKind.RATE_LIMITED),
        (401, ErrorKind.AUTH),
        (502, ErrorKind.SERVER_ERROR),
        (None, ErrorKind.SERVER_ERROR),
    ],
)
def test_an_error_object_inside_a_200_answer_is_a_failure_of_its_kind(code, kind, make_provider, respx_mock):
    openrouter = OPENAI_FAMILY[0]
    error = {"message": "Upstream provider failed", "code": code}
    respx_mock.post(openrouter.completion_url).mock(return_value=httpx.Response(200, json={"error": error}))
    provider = make_provider(openrouter)

    assert provider.generate_message(SYSTEM, USER) is None
    assert provider.last_error.kind == kind
    assert "Upstream provider failed" in provider.last_error.message


# --- Anthropic ----------------------------------------------------------------------------------------------


def test_anthropic_posts_messages_with_system_field_and_version_header(make_provider, respx_mock):
    route = respx_mock.post(ANTHROPIC.completion_url).mock(return_value=httpx.Response(200, json=ANTHROPIC.success))
    provider = make_provider(
        ANTHROPIC, max_tokens=200, temperature=1.0, extra_params={"top_k": 5}, extra_headers={"X-Trace": "t1"}
    )

    response = provider.generate_message(SYSTEM, USER)

    request = route.calls.last.request
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["x-trace"] == "t1"
    assert "authorization" not in request.headers
    assert sent_json(route) == {
        "model": "claude-haiku-4-5",
        "system": SYSTEM,
        "messages": [{"role": "user", "content": USER}],
        "max_tokens": 200,
        "temperature": 1.0,
        "top_k": 5,
    }
    assert response.content == "The ticker says hello."
    assert response.usage["input_tokens"] == 21
    assert response.usage["output_tokens"] == 6
    assert response.usage["prompt_tokens"] == 21
    assert response.usage["completion_tokens"] == 6
    assert response.usage["total_tokens"] == 27
    assert response.total_tokens == 27
    assert response.metadata["finish_reason"] == "stop"
    assert response.metadata["stop_reason"] == "end_turn"
    assert response.metadata["response_id"] == "msg_01XFDUDYJgAACzvnptvVoYEL"


def test_anthropic_joins_text_blocks_and_maps_max_tokens_to_length(make_provider, respx_mock):
    answer = anthropic_message()
    answer["content"] = [
        {"type": "thinking", "thinking": "hmm"},
        {"type": "text", "text": "First half, "},
        {"type": "text", "text": "second half."},
    ]
    answer["stop_reason"] = "max_tokens"
    respx_mock.post(ANTHROPIC.completion_url).mock(return_value=httpx.Response(200, json=answer))

    response = make_provider(ANTHROPIC).generate_message(SYSTEM, USER)

    assert response.content == "First half, second half."
    assert response.metadata["finish_reason"] == "length"


# --- Gemini -------------------------------------------------------------------------------------------------


def test_gemini_posts_generate_content_with_key_in_header_not_url(make_provider, respx_mock):
    route = respx_mock.post(GEMINI.completion_url).mock(return_value=httpx.Response(200, json=GEMINI.success))
    provider = make_provider(
        GEMINI, max_tokens=150, temperature=0.2, extra_params={"topP": 0.8}, extra_headers={"X-Trace": "g1"}
    )

    response = provider.generate_message(SYSTEM, USER)

    request = route.calls.last.request
    assert str(request.url) == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    )
    assert API_KEY not in str(request.url)
    assert request.headers["x-goog-api-key"] == API_KEY
    assert request.headers["x-trace"] == "g1"
    assert sent_json(route) == {
        "systemInstruction": {"parts": [{"text": SYSTEM}]},
        "contents": [{"role": "user", "parts": [{"text": USER}]}],
        "generationConfig": {"maxOutputTokens": 150, "temperature": 0.2, "topP": 0.8},
    }
    assert response.content == "The ticker says hello."
    assert response.usage == {"prompt_tokens": 21, "completion_tokens": 6, "total_tokens": 27}
    assert response.metadata["finish_reason"] == "stop"
    assert response.metadata["native_finish_reason"] == "STOP"
    assert response.metadata["response_id"] == "resp-gem-1"


def test_gemini_accepts_models_prefix_skips_thoughts_and_maps_max_tokens(make_provider, respx_mock):
    answer = gemini_content()
    answer["candidates"][0]["content"]["parts"] = [
        {"text": "Let me think about Mondays...", "thought": True},
        {"text": "Mondays are fresh starts."},
    ]
    answer["candidates"][0]["finishReason"] = "MAX_TOKENS"
    route = respx_mock.post(GEMINI.completion_url).mock(return_value=httpx.Response(200, json=answer))

    response = make_provider(GEMINI, model="models/gemini-2.5-flash").generate_message(SYSTEM, USER)

    assert route.called
    assert response.content == "Mondays are fresh starts."
    assert response.metadata["finish_reason"] == "length"


def test_gemini_blocked_prompt_is_an_empty_answer_with_the_reason(make_provider, respx_mock):
    blocked = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 4}}
    respx_mock.post(GEMINI.completion_url).mock(return_value=httpx.Response(200, json=blocked))
    provider = make_provider(GEMINI)

    assert provider.generate_message(SYSTEM, USER) is None
    assert provider.last_error.kind == ErrorKind.EMPTY
    assert "SAFETY" in provider.last_error.message


# --- every builtin ------------------------------------------------------------------------------------------


def test_health_check_is_a_free_get_of_the_model_listing(builtin, make_provider, respx_mock):
    listing = respx_mock.get(builtin.health_url).mock(return_value=httpx.Response(200, json={"data": []}))
    completion = respx_mock.post(builtin.completion_url).mock(return_value=httpx.Response(200, json=builtin.success))
    provider = make_provider(builtin)

    assert provider.health_check() is True

    assert listing.call_count == 1
    assert listing.calls.last.request.method == "GET"
    assert not completion.called
    assert provider.last_error is None


def test_health_check_failure_is_false_with_the_reason_and_never_retried(builtin, make_provider, respx_mock):
    listing = respx_mock.get(builtin.health_url).mock(return_value=httpx.Response(503, text="maintenance"))
    provider = make_provider(builtin)

    assert provider.health_check() is False

    assert listing.call_count == 1
    assert provider.last_error.kind == ErrorKind.SERVER_ERROR
    assert "maintenance" in provider.last_error.message


def test_health_check_does_not_download_the_listing(builtin, make_provider, respx_mock, settings):
    settings.AITICKER_MAX_RESPONSE_BYTES = 1024
    huge_listing = b'{"data": [' + b'{"id": "m"},' * 10_000 + b"{}]}"
    respx_mock.get(builtin.health_url).mock(return_value=httpx.Response(200, content=huge_listing))

    assert make_provider(builtin).health_check() is True


HOSTED = [b for b in BUILTINS if b.plugin.provider_class.requires_api_key]


@pytest.mark.parametrize("builtin", HOSTED, ids=[b.id for b in HOSTED])
def test_hosted_builtins_refuse_to_start_without_a_key_and_name_the_variable(builtin):
    provider = builtin.plugin.create_provider(provider_config(builtin, api_key=""))

    assert provider.initialize() is False
    assert provider.last_error.kind == ErrorKind.INIT_FAILED
    assert builtin.plugin.provider_class.api_key_env in provider.last_error.message


def test_a_base_url_that_is_not_http_is_refused_at_initialize(builtin):
    provider = builtin.plugin.create_provider(provider_config(builtin, base_url="ftp://example.com/v1"))

    assert provider.initialize() is False
    assert "base_url must be an http:// or https:// URL" in provider.last_error.message


def test_generate_before_initialize_fails_cleanly(builtin):
    provider = builtin.plugin.create_provider(provider_config(builtin))

    assert provider.generate_message(SYSTEM, USER) is None
    assert provider.last_error.kind == ErrorKind.INIT_FAILED


def test_close_releases_the_client_and_can_be_repeated(builtin, make_provider):
    provider = make_provider(builtin)
    client = provider.client

    provider.close()
    provider.close()

    assert provider.client is None
    assert client.is_closed


def test_anthropic_clamps_temperature_to_its_accepted_range(make_provider, respx_mock):
    route = respx_mock.post(ANTHROPIC.completion_url).mock(return_value=httpx.Response(200, json=ANTHROPIC.success))

    make_provider(ANTHROPIC, temperature=1.7).generate_message(SYSTEM, USER)

    assert sent_json(route)["temperature"] == 1.0


def test_an_empty_system_prompt_is_left_out(builtin, make_provider, respx_mock):
    route = respx_mock.post(builtin.completion_url).mock(return_value=httpx.Response(200, json=builtin.success))

    assert make_provider(builtin).generate_message("", USER) is not None

    body = sent_json(route)
    assert "system" not in body and "systemInstruction" not in body
    if builtin.family == "openai":
        assert body["messages"] == [{"role": "user", "content": USER}]


def test_an_unforeseen_error_while_reading_the_answer_is_one_failed_call(builtin, make_provider, respx_mock, caplog):
    respx_mock.post(builtin.completion_url).mock(return_value=httpx.Response(200, json=builtin.success))
    provider = make_provider(builtin)

    def broken(data):
        raise KeyError(f"surprise for {API_KEY}")

    provider.parse_response = broken

    assert provider.generate_message(SYSTEM, USER) is None
    assert provider.last_error.kind == ErrorKind.EXCEPTION
    assert "KeyError" in provider.last_error.message
    assert API_KEY not in provider.last_error.message
    assert API_KEY not in caplog.text
