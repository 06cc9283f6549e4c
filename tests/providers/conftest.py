"""Fixtures of the provider tests: plugin rows, the registry seam, a fresh runtime per test, API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from plugins.builtin import _http
from plugins.builtin.openrouter_provider import OpenRouterPlugin
from plugins.models import Plugin
from providers import runtime
from providers.models import Provider

from .fakes import CANARY_KEY, SCRIPTED_KEY, ScriptedPlugin, ScriptedProvider

OPENROUTER_KEY = "plugins.builtin.openrouter_provider:OpenRouterPlugin"
OPENROUTER_URL = "https://openrouter.ai/api/v1"


@pytest.fixture(autouse=True)
def loaded_plugins(monkeypatch):
    """The registry seam: ``runtime.load_plugin`` answers from this table (tests add to it)."""
    table = {SCRIPTED_KEY: ScriptedPlugin, OPENROUTER_KEY: OpenRouterPlugin}
    monkeypatch.setattr(runtime, "load_plugin", table.get)
    monkeypatch.setattr(runtime, "_seen_generation", None)
    monkeypatch.setattr(runtime, "DEADLINE_GRACE_SECONDS", 0.3)
    monkeypatch.setattr(_http, "_sleep", lambda seconds: None)
    monkeypatch.delenv("SCRIPTED_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    ScriptedProvider.built.clear()
    ScriptedProvider.release.clear()
    runtime.reset_live_providers()
    yield table
    ScriptedProvider.release.set()  # lets abandoned "hang" threads finish
    runtime.reset_live_providers()


@pytest.fixture
def scripted_plugin(db) -> Plugin:
    plugin, _ = Plugin.objects.update_or_create(
        key=SCRIPTED_KEY,
        defaults=dict(
            name="Scripted",
            provider_name="Scripted",
            status=Plugin.Status.VALID,
            enabled=True,
            source=Plugin.Source.CUSTOM,
            supported_models=["scripted-default", "scripted-large"],
            default_base_url="https://scripted.example/v1",
            default_model="scripted-default",
            api_key_env="SCRIPTED_API_KEY",
        ),
    )
    return plugin


@pytest.fixture
def openrouter_plugin(db) -> Plugin:
    # Discovery may already have recorded it (the plugins app syncs after migrate): pin the fields tests rely on.
    plugin, _ = Plugin.objects.update_or_create(
        key=OPENROUTER_KEY,
        defaults=dict(
            name="OpenRouter",
            provider_name="OpenRouter",
            status=Plugin.Status.VALID,
            enabled=True,
            source=Plugin.Source.BUILTIN,
            supported_models=["openai/gpt-4o-mini"],
            default_base_url=OPENROUTER_URL,
            default_model="openai/gpt-4o-mini",
            api_key_env="OPENROUTER_API_KEY",
        ),
    )
    return plugin


@pytest.fixture
def make_provider(scripted_plugin):
    """Create a provider on the scripted plugin; ``script`` goes into extra_params."""
    counter = iter(range(1, 1000))

    def make(name: str | None = None, script: str = "ok", **fields) -> Provider:
        fields.setdefault("plugin", scripted_plugin)
        fields.setdefault("model", "scripted-default")
        fields.setdefault("api_key", CANARY_KEY)
        fields.setdefault("timeout", 1)
        params = fields.pop("extra_params", {})
        params.setdefault("script", script)
        return Provider.objects.create(name=name or f"scripted-{next(counter)}", extra_params=params, **fields)

    return make


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff", password="pw-staff-123", is_staff=True)


@pytest.fixture
def staff_api(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client
