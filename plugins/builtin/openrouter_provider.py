"""OpenRouter: hundreds of models from many vendors behind one OpenAI-compatible API and one key."""

from __future__ import annotations

from plugins.base_provider import AIProviderPlugin
from plugins.builtin._openai_compatible import OpenAICompatibleProvider

APP_URL = "https://github.com/aiticker/aiticker"
APP_TITLE = "AI-Ticker"


class OpenRouterProvider(OpenAICompatibleProvider):
    default_base_url = "https://openrouter.ai/api/v1"
    default_model = "openai/gpt-4o-mini"
    api_key_env = "OPENROUTER_API_KEY"

    @property
    def provider_name(self) -> str:
        return "OpenRouter"

    @property
    def supported_models(self) -> list[str]:
        return [
            "openai/gpt-4o-mini",
            "anthropic/claude-3.5-haiku",
            "google/gemini-2.0-flash-001",
            "meta-llama/llama-3.3-70b-instruct",
            "mistralai/mistral-small-3.1-24b-instruct",
        ]

    def request_headers(self) -> dict[str, str]:
        # OpenRouter asks apps to identify themselves (attribution and its app rankings); an operator can
        # override both through extra_headers, which are applied on top.
        return {**super().request_headers(), "HTTP-Referer": APP_URL, "X-Title": APP_TITLE}


OpenRouterPlugin = AIProviderPlugin(
    provider_class=OpenRouterProvider,
    metadata={
        "name": "OpenRouter",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Hundreds of models from many vendors behind one OpenAI-compatible API and one key.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://openrouter.ai",
        "documentation": "https://openrouter.ai/docs/api-reference/overview",
        "license": "MIT",
    },
)
