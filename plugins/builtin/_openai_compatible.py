"""The OpenAI Chat Completions dialect, spoken by OpenAI and most hosted and local model servers.

One implementation, many thin plugins (OpenRouter, Together, DeepInfra, Groq, Mistral, OpenAI and the generic
"any base URL" plugin): they differ only in defaults, models and the odd extra header.
"""

from __future__ import annotations

from typing import Any

from plugins.base_provider import AIResponse, CallError, ErrorKind
from plugins.builtin._http import ProviderCallError, bad_shape, empty_answer, merge_params
from plugins.builtin._http_provider import HTTPProvider


class OpenAICompatibleProvider(HTTPProvider):
    """POST ``{base_url}/chat/completions``; health is a GET of ``{base_url}/models``."""

    def request_headers(self) -> dict[str, str]:
        if self.config.api_key:
            return {"Authorization": f"Bearer {self.config.api_key}"}
        return {}

    def completion_path(self) -> str:
        return "/chat/completions"

    def build_payload(self, system_prompt: str, user_prompt: str) -> dict[str, Any]:
        messages = [{"role": "user", "content": user_prompt}]
        if system_prompt:
            messages.insert(0, {"role": "system", "content": system_prompt})
        body = {
            "model": self.config.model,
            "messages": messages,
            "max_tokens": self.config.max_tokens,
            "temperature": self.config.temperature,
        }
        return merge_params(body, self.config.extra_params)

    def parse_response(self, data: dict[str, Any]) -> AIResponse:
        choices = data.get("choices")
        if choices is None and "error" in data:
            # OpenRouter and some proxies answer 200 with an error object when the upstream model failed.
            raise ProviderCallError(_in_body_error(data["error"]))
        if not isinstance(choices, list):
            raise bad_shape("response has no 'choices' list")
        if not choices:
            raise empty_answer("response has no choices")
        choice = choices[0]
        if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
            raise bad_shape("choices[0] has no 'message' object")
        content = _text_of(choice["message"].get("content"))
        if content is None:
            raise bad_shape("choices[0].message.content is neither text nor a list of text parts")
        if not content.strip():
            raise empty_answer(f"the model returned no text (finish_reason={choice.get('finish_reason')})")
        usage = data.get("usage")
        return AIResponse(
            content=content.strip(),
            provider_name=self.provider_name,
            model=self.config.model,
            usage=usage if isinstance(usage, dict) else {},
            metadata={
                "finish_reason": choice.get("finish_reason"),
                "response_id": data.get("id"),
                "created": data.get("created"),
                "served_model": data.get("model"),
            },
        )


def _text_of(content: Any) -> str | None:
    """Message content as text: a string, ``null`` (no text), or a list of ``{"type": "text"}`` parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text"]
        return "".join(text for text in texts if isinstance(text, str))
    return None


def _in_body_error(error: Any) -> CallError:
    if isinstance(error, dict):
        message = str(error.get("message") or "the server reported an error")[:200]
        code = error.get("code")
    else:
        message, code = str(error)[:200], None
    status = code if isinstance(code, int) and 400 <= code < 600 else None
    if status in (401, 403):
        kind = ErrorKind.AUTH
    elif status == 429:
        kind = ErrorKind.RATE_LIMITED
    elif status is not None and status < 500:
        kind = ErrorKind.CLIENT_ERROR
    else:
        kind = ErrorKind.SERVER_ERROR
    return CallError(kind=kind, message=f"error in a 200 response: {message}", status_code=status)
