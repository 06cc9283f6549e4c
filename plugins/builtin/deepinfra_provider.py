"""DeepInfra: open-weight models hosted by DeepInfra through its OpenAI-compatible endpoint."""

from __future__ import annotations

from plugins.base_provider import AIProviderPlugin
from plugins.builtin._openai_compatible import OpenAICompatibleProvider


class DeepInfraProvider(OpenAICompatibleProvider):
    default_base_url = "https://api.deepinfra.com/v1/openai"
    default_model = "meta-llama/Meta-Llama-3.1-8B-Instruct"
    api_key_env = "DEEPINFRA_API_KEY"

    @property
    def provider_name(self) -> str:
        return "DeepInfra"

    @property
    def supported_models(self) -> list[str]:
        return [
            "meta-llama/Meta-Llama-3.1-8B-Instruct",
            "meta-llama/Llama-3.3-70B-Instruct",
            "Qwen/Qwen2.5-72B-Instruct",
            "mistralai/Mistral-Small-24B-Instruct-2501",
        ]


DeepInfraPlugin = AIProviderPlugin(
    provider_class=DeepInfraProvider,
    metadata={
        "name": "DeepInfra",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Open-weight models hosted by DeepInfra through its OpenAI-compatible endpoint.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://deepinfra.com",
        "documentation": "https://deepinfra.com/docs/openai_api",
        "license": "MIT",
    },
)
