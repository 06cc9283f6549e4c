"""``setupproviders``: what `make run` does for a fresh checkout, idempotently."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plugins.models import Plugin
from providers.bootstrap import DEMO_PROVIDER_NAME, MOCK_PLUGIN_KEY, setup_providers
from providers.models import Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_known_plugins(db, openrouter_plugin, scripted_plugin):
    """Exactly three plugins: OpenRouter (builtin), the scripted one and the mock, whatever discovery recorded."""
    Plugin.objects.exclude(pk__in=[openrouter_plugin.pk, scripted_plugin.pk]).delete()
    return Plugin.objects.create(
        key=MOCK_PLUGIN_KEY, name="Mock", status="valid", source="custom", enabled=False, default_model="mock-model"
    )


def test_a_fresh_install_without_keys_gets_the_offline_demo_provider(only_known_plugins, tmp_path):
    done = setup_providers(tmp_path / "absent.json")

    demo = Provider.objects.get()
    assert (demo.name, demo.plugin.key, demo.enabled) == (DEMO_PROVIDER_NAME, MOCK_PLUGIN_KEY, True)
    assert demo.plugin.enabled
    assert len(done) == 1


def test_a_conventional_key_in_the_environment_creates_that_builtins_provider(
    only_known_plugins, tmp_path, monkeypatch
):
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-from-env-123456")

    setup_providers(tmp_path / "absent.json")

    provider = Provider.objects.get()
    assert (provider.name, provider.api_key, provider.enabled) == ("OpenRouter", "", True)
    assert provider.model == "openai/gpt-4o-mini"


def test_the_config_file_is_imported_missing_only_and_running_twice_does_nothing(only_known_plugins, tmp_path):
    path = tmp_path / "plugin_config.json"
    path.write_text(json.dumps({"plugins": {"scripted": {"enabled": True, "config": {"name": "Mine", "model": "m"}}}}))

    first = setup_providers(path)
    Provider.objects.filter(name="Mine").update(model="admin-changed")
    second = setup_providers(path)

    assert first == ["Created provider 'Mine' from plugin_config.json"]
    assert second == []
    assert list(Provider.objects.values_list("name", "model")) == [("Mine", "admin-changed")]


def test_the_command_reports_a_bad_file_in_one_line(only_known_plugins, tmp_path):
    path = tmp_path / "plugin_config.json"
    path.write_text('{"plugins": {"scripted": {"enabled": true, "config": {"temperature": 9}}}}')

    with pytest.raises(CommandError, match=r"plugins\.scripted\.config\.temperature"):
        call_command("setupproviders", "--skip-sync", "--config", str(path))
    assert not Provider.objects.exists()
