"""sync_plugins(): the Plugin table follows the code, keeps operators' choices, and never deletes a row."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from plugins import apps as plugins_apps
from plugins.models import Plugin
from plugins.registry import registry
from plugins.sync import sync_plugins

from .conftest import good_plugin_source, guide_example_source

pytestmark = pytest.mark.django_db


def test_new_valid_plugins_start_enabled_and_invalid_ones_disabled(plugin_folder):
    plugin_folder.write("good.py", good_plugin_source())
    plugin_folder.write("bad.py", good_plugin_source("one"))

    report = sync_plugins()

    good = Plugin.objects.get(key=plugin_folder.key("good", "GoodPlugin"))
    bad = Plugin.objects.get(key=plugin_folder.key("bad", "GoodPlugin"))
    assert (good.status, good.enabled, good.is_usable) == ("valid", True, True)
    assert (bad.status, bad.enabled, bad.is_usable) == ("invalid", False, False)
    assert "not a semantic version" in bad.error
    assert good.source == "directory" and good.last_seen is not None
    assert {e.change for e in report.entries if e.key in (good.key, bad.key)} == {"new"}


def test_rows_carry_the_declared_metadata_and_provider_defaults(plugin_folder):
    plugin_folder.write("my_provider.py", guide_example_source())

    sync_plugins()

    row = Plugin.objects.get(key=plugin_folder.key("my_provider", "MyCustomPlugin"))
    assert row.name == "My Custom AI Provider"
    assert row.author == "Your Name"
    assert row.category == "custom"
    assert row.api_version == "v1"
    assert row.supported_features == ["chat_completion", "health_check"]
    assert row.requires == ["httpx>=0.27.0"]
    assert row.provider_name == "MyCustomProvider"
    assert row.supported_models == ["my-gpt-model", "my-claude-model", "my-custom-model"]


def test_rescan_keeps_the_operators_enabled_choice(plugin_folder):
    plugin_folder.write("good.py", good_plugin_source())
    sync_plugins()
    Plugin.objects.filter(key=plugin_folder.key("good", "GoodPlugin")).update(enabled=False)

    sync_plugins()

    assert Plugin.objects.get(key=plugin_folder.key("good", "GoodPlugin")).enabled is False


def test_rescan_picks_up_an_edited_file(plugin_folder):
    file = plugin_folder.write("good.py", good_plugin_source("1.0.0"))
    sync_plugins()
    file.write_text(good_plugin_source("1.2.0-beta.1"), encoding="utf-8")

    report = sync_plugins()

    assert Plugin.objects.get(key=plugin_folder.key("good", "GoodPlugin")).version == "1.2.0-beta.1"
    assert [e.change for e in report.entries if e.key == plugin_folder.key("good", "GoodPlugin")] == ["updated"]


def test_vanished_plugins_are_marked_not_found_and_kept(plugin_folder):
    file = plugin_folder.write("good.py", good_plugin_source())
    sync_plugins()
    file.unlink()

    report = sync_plugins()

    row = Plugin.objects.get(key=plugin_folder.key("good", "GoodPlugin"))
    assert row.status == "not-found-on-disk"
    assert row.enabled is True and row.is_usable is False
    assert report.vanished == 1
    assert registry.get(row.key) is None


def test_an_enabled_plugin_that_breaks_stays_enabled_but_unusable_until_fixed(plugin_folder):
    file = plugin_folder.write("good.py", good_plugin_source())
    sync_plugins()
    file.write_text("raise ImportError('half-edited')\n", encoding="utf-8")
    sync_plugins()

    row = Plugin.objects.get(key=plugin_folder.key("good", "GoodPlugin"))
    assert (row.status, row.enabled, row.is_usable) == ("invalid", True, False)
    assert "half-edited" in row.error
    row.full_clean()  # the stored choice is not an error; only turning an unusable plugin on is

    file.write_text(good_plugin_source(), encoding="utf-8")
    sync_plugins()
    assert Plugin.objects.get(key=row.key).is_usable


def test_an_invalid_plugin_cannot_be_enabled(plugin_folder):
    plugin_folder.write("bad.py", good_plugin_source("x"))
    sync_plugins()
    row = Plugin.objects.get(key=plugin_folder.key("bad", "GoodPlugin"))

    row.enabled = True
    with pytest.raises(ValidationError) as exc:
        row.full_clean()

    assert "cannot be enabled" in exc.value.message_dict["enabled"][0]
    assert "not a semantic version" in exc.value.message_dict["enabled"][0]


def test_migrate_syncs_plugins(plugin_folder):
    plugin_folder.write("good.py", good_plugin_source())

    call_command("migrate", verbosity=0)

    assert Plugin.objects.filter(key=plugin_folder.key("good", "GoodPlugin"), status="valid").exists()


def test_a_failing_sync_never_breaks_migrate(monkeypatch, caplog):
    def explode(**kwargs):
        raise RuntimeError("plugin folder on fire")

    monkeypatch.setattr("plugins.sync.sync_plugins", explode)

    plugins_apps.sync_after_migrate(sender=None, using="default", verbosity=0)

    assert "Syncing plugins after migrate failed" in caplog.text


def test_sync_after_migrate_waits_for_the_plugins_table(monkeypatch):
    calls = []
    monkeypatch.setattr("plugins.sync.sync_plugins", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: ["django_migrations"])

    plugins_apps.sync_after_migrate(sender=None, using="default", verbosity=0)

    assert calls == []
