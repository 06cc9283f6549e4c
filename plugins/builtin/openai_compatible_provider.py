"""Any server that speaks the OpenAI Chat Completions API: Ollama, vLLM, LM Studio, llama.cpp, LiteLLM …

Unlike the hosted plugins it has no default base URL (the operator says which server) and the API key is
optional, because local servers usually run without one.
"""

from __future__ import annotations

from plugins.base_provider import AIProviderPlugin
from plugins.builtin._openai_compatible import OpenAICompatibleProvider


class GenericOpenAICompatibleProvider(OpenAICompatibleProvider):
    requires_api_key = False
    default_base_url = ""
    default_model = "llama3.2"
    api_key_env = "OPENAI_COMPATIBLE_API_KEY"

    @property
    def provider_name(self) -> str:
        return "OpenAI-compatible"

    @property
    def supported_models(self) -> list[str]:
        # Whatever the server has loaded; these are common Ollama tags, listed as examples only.
        return ["llama3.2", "llama3.1:8b", "qwen2.5:7b", "mistral", "gemma2:9b"]

    def config_problem(self) -> str | None:
        if not self.config.base_url and self.config.name and self.config.model:
            return (
                f"base_url is required for {self.config.name}: the server's OpenAI-compatible root, "
                "e.g. http://localhost:11434/v1 for Ollama"
            )
        return super().config_problem()


OpenAICompatiblePlugin = AIProviderPlugin(
    provider_class=GenericOpenAICompatibleProvider,
    metadata={
        "name": "OpenAI-compatible server",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Any OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, llama.cpp server); key optional.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://github.com/ollama/ollama/blob/main/docs/openai.md",
        "documentation": "https://platform.openai.com/docs/api-reference/chat",
        "license": "MIT",
    },
)
