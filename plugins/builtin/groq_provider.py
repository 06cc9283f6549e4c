"""Groq: very fast inference of open-weight models on Groq LPUs, OpenAI-compatible API."""

from __future__ import annotations

from plugins.base_provider import AIProviderPlugin
from plugins.builtin._openai_compatible import OpenAICompatibleProvider


class GroqProvider(OpenAICompatibleProvider):
    default_base_url = "https://api.groq.com/openai/v1"
    default_model = "llama-3.1-8b-instant"
    api_key_env = "GROQ_API_KEY"

    @property
    def provider_name(self) -> str:
        return "Groq"

    @property
    def supported_models(self) -> list[str]:
        return [
            "llama-3.1-8b-instant",
            "llama-3.3-70b-versatile",
            "openai/gpt-oss-20b",
            "openai/gpt-oss-120b",
        ]


GroqPlugin = AIProviderPlugin(
    provider_class=GroqProvider,
    metadata={
        "name": "Groq",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Very fast inference of open-weight models on Groq LPUs, OpenAI-compatible API.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://groq.com",
        "documentation": "https://console.groq.com/docs/openai",
        "license": "MIT",
    },
)
