"""Together AI: open-weight models (Llama, Qwen, Mixtral …) hosted by Together AI, OpenAI-compatible API."""

from __future__ import annotations

from plugins.base_provider import AIProviderPlugin
from plugins.builtin._openai_compatible import OpenAICompatibleProvider


class TogetherProvider(OpenAICompatibleProvider):
    default_base_url = "https://api.together.xyz/v1"
    default_model = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    api_key_env = "TOGETHER_API_KEY"

    @property
    def provider_name(self) -> str:
        return "Together AI"

    @property
    def supported_models(self) -> list[str]:
        return [
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
            "Qwen/Qwen2.5-72B-Instruct-Turbo",
            "mistralai/Mixtral-8x7B-Instruct-v0.1",
        ]


TogetherPlugin = AIProviderPlugin(
    provider_class=TogetherProvider,
    metadata={
        "name": "Together AI",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Open-weight models (Llama, Qwen, Mixtral …) hosted by Together AI, OpenAI-compatible API.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://www.together.ai",
        "documentation": "https://docs.together.ai/docs/openai-api-compatibility",
        "license": "MIT",
    },
)
