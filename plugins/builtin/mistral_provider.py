"""Mistral AI: Mistral AI's own models through its chat completions API."""

from __future__ import annotations

from plugins.base_provider import AIProviderPlugin
from plugins.builtin._openai_compatible import OpenAICompatibleProvider


class MistralProvider(OpenAICompatibleProvider):
    default_base_url = "https://api.mistral.ai/v1"
    default_model = "mistral-small-latest"
    api_key_env = "MISTRAL_API_KEY"

    @property
    def provider_name(self) -> str:
        return "Mistral AI"

    @property
    def supported_models(self) -> list[str]:
        return [
            "mistral-small-latest",
            "mistral-medium-latest",
            "mistral-large-latest",
            "open-mistral-nemo",
        ]


MistralPlugin = AIProviderPlugin(
    provider_class=MistralProvider,
    metadata={
        "name": "Mistral AI",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Mistral AI's own models through its chat completions API.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://mistral.ai",
        "documentation": "https://docs.mistral.ai/api/",
        "license": "MIT",
    },
)
