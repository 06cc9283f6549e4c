"""Anthropic Claude through the Messages API (no SDK: plain httpx).

The Messages API differs from OpenAI's in the ways that matter here: the system prompt is its own ``system``
field, the key goes in ``x-api-key`` with a pinned ``anthropic-version``, the answer is a list of content
blocks, and usage is counted as input/output tokens.
"""

from __future__ import annotations

from typing import Any

from plugins.base_provider import AIProviderPlugin, AIResponse
from plugins.builtin._http import bad_shape, empty_answer, merge_params
from plugins.builtin._http_provider import HTTPProvider

ANTHROPIC_VERSION = "2023-06-01"

#: Anthropic's stop reasons in the OpenAI vocabulary the rest of AI-Ticker uses.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


class AnthropicProvider(HTTPProvider):
    default_base_url = "https://api.anthropic.com/v1"
    default_model = "claude-haiku-4-5"
    api_key_env = "ANTHROPIC_API_KEY"

    @property
    def provider_name(self) -> str:
        return "Anthropic"

    @property
    def supported_models(self) -> list[str]:
        return [
            "claude-haiku-4-5",
            "claude-sonnet-4-5",
            "claude-opus-4-1",
            "claude-3-5-haiku-latest",
        ]

    def request_headers(self) -> dict[str, str]:
        return {"x-api-key": self.config.api_key, "anthropic-version": ANTHROPIC_VERSION}

    def completion_path(self) -> str:
        return "/messages"

    def build_payload(self, system_prompt: str, user_prompt: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "max_tokens": self.config.max_tokens,
            # Anthropic accepts 0–1 where AI-Ticker (like OpenAI) allows 0–2; clamp instead of a 400 on every call.
            "temperature": min(float(self.config.temperature), 1.0),
            "messages": [{"role": "user", "content": user_prompt}],
        }
        if system_prompt:
            body["system"] = system_prompt
        return merge_params(body, self.config.extra_params)

    def parse_response(self, data: dict[str, Any]) -> AIResponse:
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise bad_shape("response has no 'content' list")
        texts = [b.get("text") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
        content = "".join(t for t in texts if isinstance(t, str)).strip()
        stop_reason = data.get("stop_reason")
        if not content:
            raise empty_answer(f"the model returned no text (stop_reason={stop_reason})")
        return AIResponse(
            content=content,
            provider_name=self.provider_name,
            model=self.config.model,
            usage=_usage(data.get("usage")),
            metadata={
                "finish_reason": FINISH_REASONS.get(stop_reason, stop_reason),
                "stop_reason": stop_reason,
                "response_id": data.get("id"),
                "served_model": data.get("model"),
            },
        )


def _usage(raw: Any) -> dict[str, Any]:
    """Anthropic's counts plus the prompt/completion/total names the host stores."""
    if not isinstance(raw, dict):
        return {}
    usage = dict(raw)
    prompt, completion = raw.get("input_tokens"), raw.get("output_tokens")
    if isinstance(prompt, int):
        usage["prompt_tokens"] = prompt
    if isinstance(completion, int):
        usage["completion_tokens"] = completion
    if isinstance(prompt, int) and isinstance(completion, int):
        usage["total_tokens"] = prompt + completion
    return usage


AnthropicPlugin = AIProviderPlugin(
    provider_class=AnthropicProvider,
    metadata={
        "name": "Anthropic Claude",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Anthropic's Claude models through the Messages API.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://www.anthropic.com",
        "documentation": "https://docs.anthropic.com/en/api/messages",
        "license": "MIT",
    },
)
