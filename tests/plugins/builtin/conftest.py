"""The builtin plugins as test data: where each one calls, what a real answer looks like, how to build one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from plugins.base_provider import AIProviderPlugin, BaseAIProvider, ProviderConfig
from plugins.builtin import _http
from plugins.builtin.anthropic_provider import AnthropicPlugin
from plugins.builtin.deepinfra_provider import DeepInfraPlugin
from plugins.builtin.gemini_provider import GeminiPlugin
from plugins.builtin.groq_provider import GroqPlugin
from plugins.builtin.mistral_provider import MistralPlugin
from plugins.builtin.openai_compatible_provider import OpenAICompatiblePlugin
from plugins.builtin.openai_provider import OpenAIPlugin
from plugins.builtin.openrouter_provider import OpenRouterPlugin
from plugins.builtin.together_provider import TogetherPlugin

#: A canary key: it must never show up in a log line or an error text.
API_KEY = "sk-canary-7f3a9c1e5b2d4a6f"


def openai_completion(content: Any = "The ticker says hello.") -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_735_689_600,
        "model": "served-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"},
        ],
        "usage": {"prompt_tokens": 21, "completion_tokens": 6, "total_tokens": 27},
    }


def anthropic_message(text: str = "The ticker says hello.") -> dict[str, Any]:
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": text}] if text else [],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 21, "output_tokens": 6},
    }


def gemini_content(text: str = "The ticker says hello.") -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {"parts": [{"text": text}] if text else [], "role": "model"},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 21, "candidatesTokenCount": 6, "totalTokenCount": 27},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "resp-gem-1",
    }


@dataclass(frozen=True)
class Builtin:
    """One shipped plugin and the shape of the API it speaks."""

    id: str
    plugin: AIProviderPlugin
    base_url: str
    completion_path: str
    success: dict[str, Any]
    empty: dict[str, Any]
    wrong_shape: dict[str, Any]
    base_config: dict[str, Any] = field(default_factory=dict)

    @property
    def completion_url(self) -> str:
        return self.base_url + self.completion_path

    @property
    def health_url(self) -> str:
        return self.base_url + "/models"

    @property
    def family(self) -> str:
        if self.plugin is AnthropicPlugin:
            return "anthropic"
        if self.plugin is GeminiPlugin:
            return "gemini"
        return "openai"


def _openai(id: str, plugin: AIProviderPlugin, url: str, **base_config: Any) -> Builtin:
    return Builtin(
        id=id,
        plugin=plugin,
        base_url=url,
        completion_path="/chat/completions",
        success=openai_completion(),
        empty={**openai_completion(), "choices": []},
        wrong_shape={"id": "x", "result": "no choices here"},
        base_config=base_config,
    )


BUILTINS = [
    _openai("openrouter", OpenRouterPlugin, "https://openrouter.ai/api/v1"),
    _openai("together", TogetherPlugin, "https://api.together.xyz/v1"),
    _openai("deepinfra", DeepInfraPlugin, "https://api.deepinfra.com/v1/openai"),
    _openai("groq", GroqPlugin, "https://api.groq.com/openai/v1"),
    _openai("mistral", MistralPlugin, "https://api.mistral.ai/v1"),
    _openai("openai", OpenAIPlugin, "https://api.openai.com/v1"),
    _openai(
        "openai-compatible",
        OpenAICompatiblePlugin,
        "http://localhost:11434/v1",
        base_url="http://localhost:11434/v1",
    ),
    Builtin(
        id="anthropic",
        plugin=AnthropicPlugin,
        base_url="https://api.anthropic.com/v1",
        completion_path="/messages",
        success=anthropic_message(),
        empty=anthropic_message(""),
        wrong_shape={"type": "message", "content": "not a list"},
    ),
    Builtin(
        id="gemini",
        plugin=GeminiPlugin,
        base_url="https://generativelanguage.googleapis.com/v1beta",
        completion_path="/models/gemini-2.5-flash:generateContent",
        success=gemini_content(),
        empty={"candidates": [], "usageMetadata": {"promptTokenCount": 3}},
        wrong_shape={"candidates": "nope"},
    ),
]
BUILTIN_IDS = [b.id for b in BUILTINS]


def provider_config(builtin: Builtin, **overrides: Any) -> ProviderConfig:
    """The config a host would build: the plugin's default model and base URL, the canary key."""
    values: dict[str, Any] = {
        "name": f"test-{builtin.id}",
        "api_key": API_KEY,
        "model": builtin.plugin.provider_class.default_model,
        "timeout": 10,
        **builtin.base_config,
        **overrides,
    }
    return ProviderConfig(**values)


@pytest.fixture(params=BUILTINS, ids=BUILTIN_IDS)
def builtin(request: pytest.FixtureRequest) -> Builtin:
    return request.param


@pytest.fixture
def make_provider() -> Iterator[Callable[..., BaseAIProvider]]:
    """Build and initialize a provider for a builtin; every one is closed after the test."""
    created: list[BaseAIProvider] = []

    def make(builtin: Builtin, **overrides: Any) -> BaseAIProvider:
        provider = builtin.plugin.create_provider(provider_config(builtin, **overrides))
        created.append(provider)
        assert provider.initialize(), provider.last_error
        return provider

    yield make
    for provider in created:
        provider.close()


@pytest.fixture(autouse=True)
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the pause before a retry instead of sleeping through it."""
    waits: list[float] = []
    monkeypatch.setattr(_http, "_sleep", waits.append)
    return waits
