"""API keys: encrypted at rest, references resolved from the environment, masked everywhere else."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from providers import runtime, secrets
from providers.models import Provider
from providers.redaction import RedactSecretsFilter, register_secret, scrub

from .fakes import CANARY_KEY

pytestmark = pytest.mark.django_db


def raw_api_key(provider: Provider) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM providers_provider WHERE id = %s", [provider.pk])
        return cursor.fetchone()[0]


def test_a_literal_key_is_encrypted_at_rest_and_decrypts_back(make_provider):
    provider = make_provider(api_key=CANARY_KEY)

    stored = raw_api_key(provider)
    assert stored.startswith(secrets.ENCRYPTED_PREFIX)
    assert CANARY_KEY not in stored
    assert secrets.resolve_api_key(stored) == CANARY_KEY


def test_saving_again_does_not_encrypt_twice(make_provider):
    provider = make_provider(api_key=CANARY_KEY)
    provider.save()
    provider.save()

    assert secrets.decrypt(raw_api_key(provider)) == CANARY_KEY


def test_a_reference_is_stored_as_is(make_provider):
    provider = make_provider(api_key="${MY_CUSTOM_API_KEY}")

    assert raw_api_key(provider) == "${MY_CUSTOM_API_KEY}"


def test_the_encryption_key_is_derived_not_the_raw_secret_key(settings):
    settings.AITICKER_SECRETS_KEY = ""
    token = secrets.encrypt("sk-some-value-1234")

    raw = Fernet.generate_key()  # any other key fails, including one made from SECRET_KEY's bytes directly
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidToken
        Fernet(raw).decrypt(token.removeprefix(secrets.ENCRYPTED_PREFIX).encode())
    assert secrets.decrypt(token) == "sk-some-value-1234"


def test_aitiker_secrets_key_is_used_when_set_and_a_changed_key_gives_a_clear_error(settings):
    settings.AITICKER_SECRETS_KEY = Fernet.generate_key().decode()
    token = secrets.encrypt("sk-under-the-explicit-key")
    assert secrets.decrypt(token) == "sk-under-the-explicit-key"

    settings.AITICKER_SECRETS_KEY = Fernet.generate_key().decode()
    with pytest.raises(secrets.SecretError, match="enter the key again"):
        secrets.decrypt(token)


@pytest.mark.parametrize(
    ("stored", "env", "hint"),
    [
        ("${OPENROUTER_API_KEY}", "", "${OPENROUTER_API_KEY}"),
        ("", "OPENROUTER_API_KEY", "env OPENROUTER_API_KEY"),
        (CANARY_KEY, "", "…" + CANARY_KEY[-4:]),
    ],
)
def test_the_hint_shows_at_most_the_last_four_characters(stored, env, hint):
    assert secrets.api_key_hint(secrets.to_stored(stored), env) == hint


def test_scrub_masks_registered_secrets_and_bearer_tokens():
    register_secret("sk-registered-secret-42")

    text = scrub("key sk-registered-secret-42 header Bearer abcdef123456 url ?api_key=zzz999&x=1")

    assert "sk-registered-secret-42" not in text and "abcdef123456" not in text and "zzz999" not in text
    assert "x=1" in text


def test_the_logging_filter_masks_message_args_and_traceback():
    register_secret(CANARY_KEY)
    try:
        raise ValueError(f"bad key {CANARY_KEY}")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "call with %s", (CANARY_KEY,), sys.exc_info())

    assert RedactSecretsFilter().filter(record) is True
    formatted = logging.Formatter().format(record)
    assert CANARY_KEY not in formatted
    assert "call with ***" in formatted and "ValueError" in formatted


def test_the_console_handler_configured_in_settings_masks_keys(make_provider, caplog):
    (console,) = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecretsFilter) for f in h.filters)]
    provider = make_provider(api_key=CANARY_KEY)
    runtime.build_config(provider)  # resolving a key registers it
    buffer = io.StringIO()
    previous = console.setStream(buffer)
    try:
        logging.getLogger("some.plugin").error("request failed with Authorization: %s", CANARY_KEY)
    finally:
        console.setStream(previous)

    assert "request failed with Authorization: ***" in buffer.getvalue()
    assert CANARY_KEY not in buffer.getvalue()
    assert CANARY_KEY not in caplog.text, "the record is masked in place, for every handler after the console"
