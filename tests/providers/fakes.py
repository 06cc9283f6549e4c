"""Small plugins written against the SDK, scripted per provider through ``extra_params`` (test data only)."""

from __future__ import annotations

import threading
from typing import Any

from plugins.base_provider import AIProviderPlugin, AIResponse, BaseAIProvider, CallError, ErrorKind

CANARY_KEY = "sk-canary-5d1e8f0a2b4c6e7f9a1b"


class ScriptedProvider(BaseAIProvider):
    """Does what ``extra_params["script"]`` says; counts builds and closes so tests can see the cache work."""

    default_base_url = "https://scripted.example/v1"
    default_model = "scripted-default"
    api_key_env = "SCRIPTED_API_KEY"

    built: list[ScriptedProvider] = []
    release = threading.Event()

    def __init__(self, config):
        super().__init__(config)
        self.closed = False
        self.calls = 0
        ScriptedProvider.built.append(self)

    @property
    def provider_name(self) -> str:
        return "Scripted"

    @property
    def supported_models(self) -> list[str]:
        return ["scripted-default", "scripted-large"]

    @property
    def script(self) -> str:
        return self.config.extra_params.get("script", "ok")

    def initialize(self) -> bool:
        if self.script == "init-false":
            self.last_error = CallError(ErrorKind.AUTH, "no key configured")
            return False
        if self.script == "init-raise":
            raise RuntimeError(f"cannot start with key {self.config.api_key}")
        return True

    def generate_message(self, system_prompt: str, user_prompt: str) -> Any:
        self.calls += 1
        script = self.script
        if script == "raise":
            raise ValueError(f"upstream rejected key {self.config.api_key}")
        if script == "hang":
            ScriptedProvider.release.wait(30)
            return None
        if script == "none":
            return None
        if script == "auth":
            self.last_error = CallError(ErrorKind.AUTH, "HTTP 401", status_code=401)
            return None
        if script == "server-error":
            self.last_error = CallError(ErrorKind.SERVER_ERROR, f"HTTP 500 echo Bearer {self.config.api_key}", 500)
            return None
        if script == "empty":
            return AIResponse(content="   ", provider_name="Scripted", model=self.config.model)
        if script == "garbage":
            return {"content": "not an AIResponse"}
        return AIResponse(
            content=f"hello from {self.config.model}",
            provider_name="Scripted",
            model=self.config.model,
            usage={"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        )

    def health_check(self) -> bool:
        health = self.config.extra_params.get("health", "up")
        if health == "hang":
            ScriptedProvider.release.wait(30)
        return health == "up"

    def close(self) -> None:
        self.closed = True


ScriptedPlugin = AIProviderPlugin(
    provider_class=ScriptedProvider,
    metadata={"name": "Scripted", "version": "1.0.0", "author": "tests", "description": "scripted"},
)
SCRIPTED_KEY = "tests.providers.fakes:ScriptedPlugin"
