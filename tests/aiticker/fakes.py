"""Small scripted plugins for engine tests: each provider answers what its ``extra_params`` say."""

from __future__ import annotations

from plugins.base_provider import AIProviderPlugin, AIResponse, BaseAIProvider, CallError, ErrorKind

#: Every call made, as (provider name, system prompt, user prompt): lets a test prove a provider was not asked.
CALLS: list[tuple[str, str, str]] = []


class ScriptedProvider(BaseAIProvider):
    """``extra_params``: ``replies`` (list, used in turn), ``reply`` (always), ``fail`` (return None with a
    CallError), ``raise`` (raise inside generate_message)."""

    default_model = "scripted-1"

    @property
    def provider_name(self) -> str:
        return "Scripted"

    @property
    def supported_models(self) -> list[str]:
        return ["scripted-1"]

    def initialize(self) -> bool:
        self._turn = 0
        return True

    def generate_message(self, system_prompt: str, user_prompt: str):
        CALLS.append((self.config.name, system_prompt, user_prompt))
        params = self.config.extra_params
        if params.get("raise"):
            raise RuntimeError("the plugin blew up")
        if params.get("fail"):
            self.last_error = CallError(kind=ErrorKind.SERVER_ERROR, message="HTTP 500 from upstream", status_code=500)
            return None
        if "replies" in params:
            reply = params["replies"][self._turn % len(params["replies"])]
            self._turn += 1
        else:
            reply = params.get("reply", f"A message from {self.config.name}")
        return AIResponse(
            content=reply,
            provider_name="Scripted",
            model=self.config.model,
            usage={"prompt_tokens": 7, "completion_tokens": 5},
        )

    def health_check(self) -> bool:
        return not self.config.extra_params.get("fail")


ScriptedPlugin = AIProviderPlugin(
    provider_class=ScriptedProvider,
    metadata={"name": "Scripted", "version": "1.0.0", "author": "Tests", "description": "Answers from a script"},
)

KEY = "tests.aiticker.fakes:ScriptedPlugin"
