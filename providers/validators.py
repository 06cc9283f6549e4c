"""Field validators shared by the Provider model, its admin form, its serializer and the config-file importer."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

__all__ = ["validate_finite", "validate_header_map", "validate_http_url", "validate_json_object"]


def validate_http_url(value: str) -> None:
    """An http(s) URL with a host. Laxer than URLValidator on purpose: ``http://ollama:11434/v1`` is fine."""
    if not value:
        return
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ValidationError("Enter a valid http(s) URL.", code="invalid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValidationError("Enter an http:// or https:// URL with a host.", code="invalid")


def validate_finite(value: float) -> None:
    if value is not None and not math.isfinite(value):
        raise ValidationError("Enter a finite number.", code="invalid")


#: Deepest nesting accepted in extra_params / extra_headers; real request options are a level or two deep.
MAX_JSON_DEPTH = 32


def _unstorable_value(value) -> object | None:
    """The first item anywhere in a JSON value that no database or JSON response can carry, else None.

    PostgreSQL refuses ``\\u0000`` in jsonb text, a lone surrogate cannot be encoded as UTF-8, ``1e999``
    parses to infinity, which strict JSON cannot write, and very deep nesting overflows the encoder's
    recursion: stored, any of them turns every later read of the row into a 500. Keys count too.
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return item
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for pair in item.items() for child in pair)
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and ("\0" in item or any("\ud800" <= c <= "\udfff" for c in item)):
            return item
        elif isinstance(item, float) and not math.isfinite(item):
            return item
    return None


@deconstructible
class JsonObjectValidator:
    """The value must be a JSON object; with ``string_values`` every key and value must be a string."""

    def __init__(self, string_values: bool = False):
        self.string_values = string_values

    def __call__(self, value) -> None:
        if not isinstance(value, dict):
            raise ValidationError("Enter a JSON object, e.g. {}.", code="invalid")
        if _unstorable_value(value) is not None:
            raise ValidationError(
                "This JSON cannot be stored: no NUL characters or unpaired surrogates (\\u0000, \\ud800…), no "
                "infinite numbers, at most %(depth)d levels of nesting.",
                code="invalid",
                params={"depth": MAX_JSON_DEPTH},
            )
        if self.string_values:
            bad = [
                k
                for k, v in value.items()
                if not isinstance(k, str) or not isinstance(v, str) or any(c in k + v for c in "\r\n\0")
            ]
            if bad:
                raise ValidationError(
                    "Every header must map a name to a single-line string (check %(keys)s).",
                    code="invalid",
                    params={"keys": ", ".join(map(str, bad[:5]))},
                )

    def __eq__(self, other) -> bool:
        return isinstance(other, JsonObjectValidator) and other.string_values == self.string_values


validate_json_object = JsonObjectValidator()
validate_header_map = JsonObjectValidator(string_values=True)
