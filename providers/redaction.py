"""Keep API keys out of log lines and stored error texts.

Every key the host resolves (a decrypted literal, a ``${VAR}`` value, a conventional variable) is registered
here; :func:`scrub` replaces each registered value with ``***``. The same function feeds the logging filter
installed on the console handler and every error text the providers app stores, because a plugin's exception
message may quote the key (an echoed ``Authorization`` header, a URL with ``?key=``).

This module must not import Django models: settings.LOGGING instantiates the filter before apps are ready.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable

__all__ = ["MASK", "RedactSecretsFilter", "forget_secret", "known_secrets", "register_secret", "scrub"]

MASK = "***"

#: Shorter values are not registered: masking "abc" everywhere would mangle ordinary text and hide nothing.
MIN_SECRET_LENGTH = 6

#: Environment variables whose values are secrets by name, registered the first time anything is scrubbed.
_SECRET_ENV_NAME = re.compile(r"(_API_KEY|_TOKEN|_SECRET|_SECRET_KEY|_PASSWORD)$|^SECRET_KEY$")

# Credentials that announce themselves, masked even when the value was never registered.
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
_QUERY_KEY = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access_token)=)[^&\s'\"]+")

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_pattern: re.Pattern[str] | None = None
_environment_registered = False


def register_secret(value: str | None) -> None:
    """Remember ``value`` as a secret for the life of the process (no-op for blanks and very short values)."""
    global _secrets, _pattern
    if not value or len(value) < MIN_SECRET_LENGTH or value in _secrets:
        return
    with _lock:
        _secrets = _secrets | {value}
        _pattern = _compile(_secrets)


def forget_secret(value: str) -> None:
    """Drop one value (used by tests; a rotated key is harmless to keep masking)."""
    global _secrets, _pattern
    with _lock:
        _secrets = _secrets - {value}
        _pattern = _compile(_secrets) if _secrets else None


def known_secrets() -> frozenset[str]:
    return _secrets


def register_environment_secrets(environ: Iterable[tuple[str, str]] | None = None) -> None:
    """Register the values of variables named like secrets (``*_API_KEY``, ``*_TOKEN`` …)."""
    for name, value in environ if environ is not None else list(os.environ.items()):
        if _SECRET_ENV_NAME.search(name):
            register_secret(value)


def scrub(text: object) -> str:
    """Return ``text`` as a string with every known secret and every bearer-style credential masked."""
    global _environment_registered
    if text is None:
        return ""
    if not _environment_registered:
        _environment_registered = True
        register_environment_secrets()
    result = text if isinstance(text, str) else str(text)
    pattern = _pattern
    if pattern is not None:
        result = pattern.sub(MASK, result)
    result = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", result)
    return _QUERY_KEY.sub(lambda m: f"{m.group(1)}{MASK}", result)


def _compile(values: frozenset[str]) -> re.Pattern[str]:
    # Longest first, so a key that contains another registered key is masked whole.
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


class RedactSecretsFilter(logging.Filter):
    """Mask secrets in a record's message, arguments and exception text before any handler formats it.

    The record is rewritten in place (message formatted once, ``args`` emptied, traceback pre-rendered into
    ``exc_text``), so handlers that run after this one see the masked text too. Never drops a record.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must still be logged, not raise inside logging
            message = f"{record.msg!r} {record.args!r}"
        record.msg = scrub(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
