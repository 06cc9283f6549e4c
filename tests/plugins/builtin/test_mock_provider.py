"""The offline mock: varied messages, deterministic with a seed, and knobs that simulate a misbehaving API."""

from __future__ import annotations

import socket

import pytest

from plugins.base_provider import ErrorKind, ProviderConfig
from plugins.custom import mock_provider
from plugins.custom.mock_provider import MockPlugin


def make(**extra_params) -> mock_provider.MockProvider:
    config = ProviderConfig(name="mock", model="mock-1", timeout=5, extra_params=extra_params)
    provider = MockPlugin.create_provider(config)
    assert provider.initialize()
    return provider


def messages(provider, count: int) -> list[str]:
    return [provider.generate_message("Be brief.", "Say something nice.").content for _ in range(count)]


def test_needs_no_api_key_and_reports_healthy():
    provider = MockPlugin.create_provider(ProviderConfig(name="mock", model="mock-1"))

    assert provider.validate_config() is True
    assert provider.initialize() is True
    assert provider.health_check() is True


@pytest.mark.parametrize("missing", ["name", "model"])
def test_still_requires_a_name_and_a_model(missing):
    values = {"name": "mock", "model": "mock-1", missing: ""}

    assert MockPlugin.create_provider(ProviderConfig(**values)).initialize() is False


def test_consecutive_messages_are_varied_and_never_repeat_a_fact_within_a_deck():
    texts = messages(make(), len(mock_provider.FACTS))

    facts_used = [next(fact for fact in mock_provider.FACTS if fact in text) for text in texts]
    assert len(set(facts_used)) == len(mock_provider.FACTS)
    assert all(texts[i] != texts[i + 1] for i in range(len(texts) - 1))


def test_the_message_pool_holds_hundreds_of_distinct_lines():
    distinct = len(mock_provider.FACTS) * len(mock_provider.FRAMINGS) * len(set(mock_provider.CLOSINGS))

    assert distinct >= 300


def test_the_same_seed_gives_the_same_sequence_and_another_seed_does_not():
    assert messages(make(seed=42), 20) == messages(make(seed=42), 20)
    assert messages(make(seed=42), 20) != messages(make(seed=43), 20)


def test_answers_look_like_a_real_provider_response():
    response = make(seed=1).generate_message("Be brief.", "Say something nice.")

    assert response.provider_name == "Mock"
    assert response.model == "mock-1"
    assert response.usage["prompt_tokens"] == 5
    assert response.usage["total_tokens"] == response.usage["prompt_tokens"] + response.usage["completion_tokens"]
    assert response.metadata["finish_reason"] == "stop"


def test_fixed_returns_the_given_text():
    assert messages(make(fixed="Hello, lobby!"), 3) == ["Hello, lobby!"] * 3


def test_empty_returns_an_empty_answer_for_the_host_to_reject():
    provider = make(empty=True)

    response = provider.generate_message("s", "u")

    assert response is not None and response.content == ""
    assert provider.last_error is None


def test_fail_returns_none_with_a_server_error(caplog):
    provider = make(fail=True)

    assert provider.generate_message("s", "u") is None
    assert provider.last_error.kind == ErrorKind.SERVER_ERROR
    assert "outcome=server_error" in caplog.text


def test_fail_may_name_the_error_kind():
    provider = make(fail="auth")

    assert provider.generate_message("s", "u") is None
    assert provider.last_error.kind == ErrorKind.AUTH


def test_latency_delays_the_answer(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(mock_provider.time, "sleep", slept.append)

    response = make(latency_ms=250).generate_message("s", "u")

    assert response is not None
    assert slept == [0.25]


def test_latency_beyond_the_timeout_behaves_like_a_timeout(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(mock_provider.time, "sleep", slept.append)
    provider = make(latency_ms=60_000)

    assert provider.generate_message("s", "u") is None
    assert provider.last_error.kind == ErrorKind.TIMEOUT
    assert slept == [5.0]


def test_a_successful_call_clears_the_previous_error():
    provider = make(fail=True)
    provider.generate_message("s", "u")
    provider.config.extra_params = {}

    assert provider.generate_message("s", "u") is not None
    assert provider.last_error is None


def test_never_touches_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the mock provider opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    provider = make()

    assert provider.health_check() is True
    assert provider.generate_message("s", "u") is not None
