"""Fixtures of the security tests: the three kinds of caller, providers on the offline mock, no stray HTTP."""

from __future__ import annotations

import pytest
import respx
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aiticker.archive import archive_index
from aiticker.status import ticker_cache
from plugins.models import Plugin
from providers import runtime
from providers.models import Provider

MOCK_KEY = "plugins.custom.mock_provider:MockPlugin"
OPENAI_COMPATIBLE_KEY = "plugins.builtin.openai_compatible_provider:OpenAICompatiblePlugin"
PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at production strength costs ~0.2 s per user; these tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_network_and_fresh_state():
    """Any HTTP that is not to 127.0.0.1 (the tests' own servers) fails the test instead of leaving the machine."""
    runtime.reset_live_providers()
    archive_index.invalidate()
    ticker_cache.clear()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()
        yield router
    runtime.reset_live_providers()
    archive_index.invalidate()
    ticker_cache.clear()


@pytest.fixture
def mock_plugin(db) -> Plugin:
    """The offline mock, as discovery recorded it after migrate (valid), switched on."""
    plugin = Plugin.objects.get(key=MOCK_KEY)
    assert plugin.status == Plugin.Status.VALID, plugin.error
    if not plugin.enabled:
        plugin.enabled = True
        plugin.save(update_fields=["enabled"])
    return plugin


@pytest.fixture
def mock_provider(mock_plugin) -> Provider:
    return Provider.objects.create(name="Mock", plugin=mock_plugin, model="mock-1", timeout=5)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("operator", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def member(django_user_model):
    """A logged-in user who is not staff: must get nothing an anonymous visitor would not."""
    return django_user_model.objects.create_user("member", password=PASSWORD)


@pytest.fixture
def staff_api(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def staff_token(staff) -> str:
    return Token.objects.create(user=staff).key
