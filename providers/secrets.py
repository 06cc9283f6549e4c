"""API keys at rest and in use.

``Provider.api_key`` holds one of three things:

* ``""`` — use the plugin's conventional environment variable (``Plugin.api_key_env``, e.g. OPENROUTER_API_KEY);
* ``"${VAR}"`` — a reference, stored as is and resolved from the environment every time the provider is built;
* ``"fernet:<token>"`` — a literal key, encrypted with Fernet. The key is ``AITICKER_SECRETS_KEY`` when set,
  otherwise derived from ``SECRET_KEY`` with HKDF, so the raw SECRET_KEY never doubles as the encryption key.
"""

from __future__ import annotations

import base64
import functools
import os
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .redaction import register_secret

__all__ = [
    "ENCRYPTED_PREFIX",
    "SecretError",
    "api_key_hint",
    "decrypt",
    "encrypt",
    "is_encrypted",
    "reference_name",
    "resolve_api_key",
    "to_stored",
]

ENCRYPTED_PREFIX = "fernet:"
_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_HKDF_SALT = b"aiticker.providers.secrets"
_HKDF_INFO = b"provider-api-key-encryption-v1"


class SecretError(ValueError):
    """A stored key cannot be used (undecryptable token, unset variable); the message never contains a key."""


def reference_name(value: str) -> str | None:
    """``"${OPENROUTER_API_KEY}"`` -> ``"OPENROUTER_API_KEY"``; anything else -> None."""
    match = _REFERENCE.match((value or "").strip())
    return match.group(1) if match else None


def is_encrypted(value: str) -> bool:
    return bool(value) and value.startswith(ENCRYPTED_PREFIX)


def to_stored(value: str) -> str:
    """What to store for a key an operator typed: blanks and references as is, literals encrypted.

    Idempotent, so saving an instance that already holds a token does not encrypt it twice.
    """
    value = (value or "").strip()
    if not value or is_encrypted(value):
        return value
    if reference_name(value):
        return value
    register_secret(value)
    return encrypt(value)


def encrypt(plaintext: str) -> str:
    return ENCRYPTED_PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    try:
        plaintext = _fernet().decrypt(stored[len(ENCRYPTED_PREFIX) :].encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretError(
            "The stored API key cannot be decrypted (was AITICKER_SECRETS_KEY or SECRET_KEY changed?); "
            "enter the key again."
        ) from None
    register_secret(plaintext)
    return plaintext


def resolve_api_key(stored: str, conventional_env: str = "") -> str:
    """The key to hand to the plugin, following the precedence documented in the README.

    Raises :class:`SecretError` when a ``${VAR}`` reference names an unset variable, so the operator sees
    which variable is missing instead of a vague authentication failure.
    """
    stored = (stored or "").strip()
    if is_encrypted(stored):
        return decrypt(stored)
    name = reference_name(stored)
    if name:
        value = os.environ.get(name, "")
        if not value:
            raise SecretError(f"The environment variable {name} referenced by the API key is not set.")
        register_secret(value)
        return value
    if stored:  # a literal that bypassed save() (queryset.update); still usable
        register_secret(stored)
        return stored
    value = os.environ.get(conventional_env, "") if conventional_env else ""
    register_secret(value)
    return value


def api_key_hint(stored: str, conventional_env: str = "") -> str:
    """A short, safe description of the stored key: ``…abcd``, ``${VAR}`` or ``env OPENROUTER_API_KEY``."""
    stored = (stored or "").strip()
    if not stored:
        return f"env {conventional_env}" if conventional_env else ""
    if reference_name(stored):
        return stored
    try:
        plaintext = decrypt(stored) if is_encrypted(stored) else stored
    except SecretError:
        return "undecryptable"
    return f"…{plaintext[-4:]}" if len(plaintext) >= 12 else "…"


def _fernet() -> Fernet:
    return _fernet_for(getattr(settings, "AITICKER_SECRETS_KEY", ""), settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _fernet_for(secrets_key: str, secret_key: str) -> Fernet:
    if secrets_key:
        try:
            return Fernet(secrets_key.encode())
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                "Invalid value for AITICKER_SECRETS_KEY: expected a Fernet key "
                '(generate one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())")'
            ) from None
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))
