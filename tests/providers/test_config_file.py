"""plugin_config.json import/export: the guide's format, idempotent by name, atomic, never a literal key out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plugins.models import Plugin
from providers import secrets
from providers.config_file import ConfigFileError, export_providers, import_providers
from providers.models import Provider

from .conftest import OPENROUTER_KEY, SCRIPTED_KEY
from .fakes import CANARY_KEY

pytestmark = pytest.mark.django_db

GUIDE_EXAMPLE = {
    "plugins": {
        "scripted_provider": {
            "enabled": True,
            "config": {
                "name": "My Scripted Provider",
                "api_key": "${MY_CUSTOM_API_KEY}",
                "base_url": "https://your-api.com/v1",
                "model": "scripted-large",
                "max_tokens": 512,
                "temperature": 0.7,
            },
        }
    }
}


@pytest.fixture
def config_file(tmp_path):
    def write(document, name="plugin_config.json"):
        path = tmp_path / name
        path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
        return path

    return write


def test_the_guides_example_creates_a_provider_resolving_the_entry_name(config_file, scripted_plugin):
    report = import_providers(config_file(GUIDE_EXAMPLE))

    assert report.summary().startswith("1 created")
    provider = Provider.objects.get(name="My Scripted Provider")
    assert (provider.plugin.key, provider.api_key, provider.model) == (
        SCRIPTED_KEY,
        "${MY_CUSTOM_API_KEY}",
        "scripted-large",
    )
    assert provider.enabled


def test_importing_twice_changes_nothing_and_a_changed_value_updates(config_file, scripted_plugin):
    path = config_file(GUIDE_EXAMPLE)
    import_providers(path)
    assert import_providers(path).count("unchanged") == 1

    changed = json.loads(json.dumps(GUIDE_EXAMPLE))
    changed["plugins"]["scripted_provider"]["config"]["temperature"] = 1.1
    report = import_providers(config_file(changed))

    assert report.count("updated") == 1 and report.items[0].changed == ["temperature"]
    assert Provider.objects.get().temperature == 1.1


def test_missing_only_never_overwrites_an_admins_change(config_file, scripted_plugin):
    path = config_file(GUIDE_EXAMPLE)
    import_providers(path)
    Provider.objects.update(temperature=1.9)

    report = import_providers(path, missing_only=True)

    assert report.count("skipped") == 1
    assert Provider.objects.get().temperature == 1.9


def test_dry_run_reports_but_writes_nothing(config_file, scripted_plugin):
    report = import_providers(config_file(GUIDE_EXAMPLE), dry_run=True)

    assert report.count("created") == 1 and "dry run" in report.summary()
    assert not Provider.objects.exists()


def test_a_literal_key_in_the_file_is_encrypted_and_reimporting_it_is_unchanged(config_file, scripted_plugin):
    document = json.loads(json.dumps(GUIDE_EXAMPLE))
    document["plugins"]["scripted_provider"]["config"]["api_key"] = CANARY_KEY
    path = config_file(document)

    import_providers(path)
    assert CANARY_KEY not in Provider.objects.get().api_key
    assert import_providers(path).count("unchanged") == 1


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"plugin": {}}, "unknown top-level key"),
        ({"plugins": []}, "plugins: required"),
        (
            {"plugins": {"scripted": {"enabled": True, "config": {"model": "m", "colour": "red"}}}},
            "plugins.scripted.config.colour",
        ),
        ({"plugins": {"scripted": {"enabled": "yes", "config": {"model": "m"}}}}, "plugins.scripted.enabled"),
        (
            {"plugins": {"scripted": {"enabled": True, "config": {"max_tokens": "many"}}}},
            "plugins.scripted.config.max_tokens",
        ),
        (
            {"plugins": {"scripted": {"enabled": True, "config": {"temperature": 7}}}},
            "plugins.scripted.config.temperature",
        ),
        ({"plugins": {"scripted": {"enabled": True, "config": {"timeout": True}}}}, "plugins.scripted.config.timeout"),
        (
            {"plugins": {"scripted": {"enabled": True, "config": {"base_url": "gopher://x"}}}},
            "plugins.scripted.config.base_url",
        ),
        ({"plugins": {"scripted": {"enabled": True, "extra": 1, "config": {}}}}, "plugins.scripted.extra"),
        ({"plugins": {"nothing_like_it": {"enabled": True, "config": {}}}}, "plugins.nothing_like_it"),
        ({"plugins": {"x": {"plugin": "no.such:Plugin", "config": {}}}}, "plugins.x.plugin"),
    ],
)
def test_a_bad_file_is_rejected_whole_naming_the_key(config_file, scripted_plugin, document, named):
    good = {"good_one": {"plugin": SCRIPTED_KEY, "enabled": True, "config": {"model": "m"}}}
    if isinstance(document.get("plugins"), dict):
        document = {"plugins": {**good, **document["plugins"]}}

    with pytest.raises(ConfigFileError) as excinfo:
        import_providers(config_file(document))

    assert named in str(excinfo.value)
    assert not Provider.objects.exists(), "an import is all or nothing"


def test_malformed_json_is_reported_with_line_and_column(config_file, db):
    with pytest.raises(ConfigFileError, match=r"invalid JSON at line 3 column"):
        import_providers(config_file('{\n  "plugins": {\n    oops\n}'))


def test_the_command_turns_errors_into_one_readable_line(tmp_path, db):
    with pytest.raises(CommandError, match="file not found"):
        call_command("importproviders", str(tmp_path / "absent.json"))


def test_an_ambiguous_entry_name_asks_for_the_plugin_key(config_file, scripted_plugin):
    Plugin.objects.create(key="plugins.custom.scripted_plugin:Other", name="Scripted", source="custom", status="valid")

    with pytest.raises(ConfigFileError, match='matches several plugins.*add "plugin"'):
        import_providers(config_file({"plugins": {"scripted": {"enabled": True, "config": {"model": "m"}}}}))


def test_enabled_entry_enables_a_valid_disabled_plugin(config_file, scripted_plugin):
    Plugin.objects.filter(pk=scripted_plugin.pk).update(enabled=False)

    report = import_providers(config_file(GUIDE_EXAMPLE))

    assert "enables the plugin" in report.items[0].warnings[0]
    assert Plugin.objects.get(pk=scripted_plugin.pk).enabled
    assert Provider.objects.get().enabled


def test_export_never_writes_a_literal_key(make_provider, openrouter_plugin):
    make_provider("literal", api_key=CANARY_KEY)
    make_provider("reference", api_key="${MY_KEY}")
    Provider.objects.create(name="router", plugin=openrouter_plugin, model="openai/gpt-4o-mini", api_key=CANARY_KEY)

    document, warnings = export_providers()
    text = json.dumps(document)

    assert CANARY_KEY not in text
    entries = document["plugins"]
    assert entries["reference"]["config"]["api_key"] == "${MY_KEY}"
    assert "api_key" not in entries["literal"]["config"]
    assert "api_key" not in entries["router"]["config"]
    assert entries["router"]["plugin"] == OPENROUTER_KEY
    assert len(warnings) == 2
    assert "set ${OPENROUTER_API_KEY}" in " ".join(warnings)


def test_reimporting_an_export_keeps_a_stored_literal_key(make_provider):
    make_provider("literal", api_key=CANARY_KEY)
    document, _warnings = export_providers()

    report = import_providers(document)

    assert [item.action for item in report.items] == ["unchanged"]
    assert secrets.resolve_api_key(Provider.objects.get(name="literal").api_key) == CANARY_KEY


def test_export_then_import_round_trips_unchanged(make_provider, tmp_path, capsys):
    make_provider("One", api_key="${ONE_KEY}", priority=5, extra_headers={"X-App": "ticker"}, notes="n")
    make_provider("Two", api_key="", enabled=False, temperature=1.25)
    out = tmp_path / "export.json"

    call_command("exportproviders", "--output", str(out))
    call_command("importproviders", str(out))

    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out

    Provider.objects.all().delete()
    call_command("importproviders", str(out))
    one = Provider.objects.get(name="One")
    assert (one.api_key, one.priority, one.extra_headers, one.notes) == ("${ONE_KEY}", 5, {"X-App": "ticker"}, "n")
    assert Provider.objects.get(name="Two").enabled is False


def test_the_shipped_example_file_imports(settings):
    report = import_providers(Path(settings.BASE_DIR) / "plugin_config.example.json", dry_run=True)

    assert [(item.name, item.action) for item in report.items] == [
        ("OpenRouter", "created"),
        ("Local Ollama", "created"),
        ("Mock (offline demo)", "created"),
    ]
    assert not Provider.objects.exists()
