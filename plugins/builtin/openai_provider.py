"""OpenAI: OpenAI's GPT models through the Chat Completions API."""

from __future__ import annotations

from plugins.base_provider import AIProviderPlugin
from plugins.builtin._openai_compatible import OpenAICompatibleProvider


class OpenAIProvider(OpenAICompatibleProvider):
    default_base_url = "https://api.openai.com/v1"
    default_model = "gpt-4o-mini"
    api_key_env = "OPENAI_API_KEY"

    @property
    def provider_name(self) -> str:
        return "OpenAI"

    @property
    def supported_models(self) -> list[str]:
        return [
            "gpt-4o-mini",
            "gpt-4o",
            "gpt-4.1-mini",
            "gpt-4.1",
            "gpt-4.1-nano",
        ]


OpenAIPlugin = AIProviderPlugin(
    provider_class=OpenAIProvider,
    metadata={
        "name": "OpenAI",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "OpenAI's GPT models through the Chat Completions API.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://openai.com",
        "documentation": "https://platform.openai.com/docs/api-reference/chat",
        "license": "MIT",
    },
)
