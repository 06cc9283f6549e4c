"""Google Gemini through the generateContent REST API (no SDK: plain httpx).

The key travels in the ``x-goog-api-key`` header rather than the ``?key=`` query parameter Google's examples
use, so it never appears in a URL, and therefore never in an access log or an httpx error message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from plugins.base_provider import AIProviderPlugin, AIResponse
from plugins.builtin._http import bad_shape, empty_answer, merge_params
from plugins.builtin._http_provider import HTTPProvider

#: Gemini's finish reasons in the OpenAI vocabulary the rest of AI-Ticker uses.
FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
}


class GeminiProvider(HTTPProvider):
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"
    default_model = "gemini-2.5-flash"
    api_key_env = "GEMINI_API_KEY"

    @property
    def provider_name(self) -> str:
        return "Google Gemini"

    @property
    def supported_models(self) -> list[str]:
        return ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro", "gemini-2.0-flash"]

    def request_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.config.api_key}

    def completion_path(self) -> str:
        # Google lists models as "models/gemini-…"; accept either spelling.
        model = self.config.model.removeprefix("models/")
        return f"/models/{quote(model, safe='-._~')}:generateContent"

    def build_payload(self, system_prompt: str, user_prompt: str) -> dict[str, Any]:
        generation_config = merge_params(
            {"maxOutputTokens": self.config.max_tokens, "temperature": self.config.temperature},
            self.config.extra_params,
        )
        body: dict[str, Any] = {
            "contents": [{"role": "user", "parts": [{"text": user_prompt}]}],
            "generationConfig": generation_config,
        }
        if system_prompt:
            body["systemInstruction"] = {"parts": [{"text": system_prompt}]}
        return body

    def parse_response(self, data: dict[str, Any]) -> AIResponse:
        candidates = data.get("candidates")
        if candidates is None:
            feedback = data.get("promptFeedback")
            if isinstance(feedback, dict) and feedback.get("blockReason"):
                raise empty_answer(f"the prompt was blocked ({feedback['blockReason']})")
            raise bad_shape("response has no 'candidates' list")
        if not isinstance(candidates, list):
            raise bad_shape("response has no 'candidates' list")
        if not candidates:
            raise empty_answer("response has no candidates")
        candidate = candidates[0]
        if not isinstance(candidate, dict):
            raise bad_shape("candidates[0] is not an object")
        finish = candidate.get("finishReason")
        parts = (candidate.get("content") or {}).get("parts", []) if isinstance(candidate.get("content"), dict) else []
        if not isinstance(parts, list):
            raise bad_shape("candidates[0].content.parts is not a list")
        # Thinking models return their reasoning as parts marked "thought"; only the answer belongs on screen.
        texts = [p.get("text") for p in parts if isinstance(p, dict) and not p.get("thought")]
        content = "".join(t for t in texts if isinstance(t, str)).strip()
        if not content:
            raise empty_answer(f"the model returned no text (finishReason={finish})")
        return AIResponse(
            content=content,
            provider_name=self.provider_name,
            model=self.config.model,
            usage=_usage(data.get("usageMetadata")),
            metadata={
                "finish_reason": FINISH_REASONS.get(finish, finish.lower() if isinstance(finish, str) else finish),
                "native_finish_reason": finish,
                "response_id": data.get("responseId"),
                "served_model": data.get("modelVersion"),
            },
        )


def _usage(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    names = {"promptTokenCount": "prompt_tokens", "candidatesTokenCount": "completion_tokens"}
    usage = {ours: raw[theirs] for theirs, ours in names.items() if isinstance(raw.get(theirs), int)}
    total = raw.get("totalTokenCount")
    if isinstance(total, int):
        usage["total_tokens"] = total
    elif "prompt_tokens" in usage and "completion_tokens" in usage:
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return usage


GeminiPlugin = AIProviderPlugin(
    provider_class=GeminiProvider,
    metadata={
        "name": "Google Gemini",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Google's Gemini models through the generateContent REST API.",
        "requires": ["httpx>=0.27"],
        "category": "official",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "homepage": "https://ai.google.dev",
        "documentation": "https://ai.google.dev/api/generate-content",
        "license": "MIT",
    },
)
