"""Discovery: where plugins are found, the keys they get, and that a rescan reads the files as they are now."""

import sys

import httpx
import pytest
import respx

from plugins.base_provider import AIProviderPlugin, ProviderConfig
from plugins.discovery import discover, module_name_for_directory
from plugins.registry import registry, scan

from .conftest import good_plugin_source, guide_example_source

COMPLETION = {
    "id": "cmpl-1",
    "created": 1700000000,
    "choices": [{"message": {"role": "assistant", "content": "AI writes tickers now."}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
}


def by_key(results):
    return {item.key: item for item in results}


def test_guide_example_in_a_plugin_folder_is_discovered_valid_and_generates(plugin_folder):
    plugin_folder.write("my_provider.py", guide_example_source())

    found = by_key(scan())
    key = plugin_folder.key("my_provider", "MyCustomPlugin")
    item = found[key]
    assert (item.status, item.error, item.source) == ("valid", "", "directory")
    assert item.declaration.name == "My Custom AI Provider"
    assert item.declaration.provider_name == "MyCustomProvider"
    assert item.declaration.supported_models == ["my-gpt-model", "my-claude-model", "my-custom-model"]
    assert item.declaration.requires == ["httpx>=0.27.0"]

    plugin = registry.get(key)
    provider = plugin.create_provider(
        ProviderConfig(name="Mine", api_key="sk-test", base_url="https://my-ai.example/v1", model="my-gpt-model")
    )
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post("https://my-ai.example/v1/chat/completions").mock(
            return_value=httpx.Response(200, json=COMPLETION)
        )
        assert provider.initialize()
        response = provider.generate_message("Be brief.", "News?")
    provider.close()

    assert response.content == "AI writes tickers now."
    assert response.usage["total_tokens"] == 17
    assert response.metadata["finish_reason"] == "stop"
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer sk-test"
    assert b'"model":"my-gpt-model"' in sent.content.replace(b" ", b"")


def test_guide_example_in_plugins_custom_gets_the_documented_key(custom_plugin_file):
    custom_plugin_file("my_provider.py", guide_example_source())

    item = by_key(scan())["plugins.custom.my_provider:MyCustomPlugin"]

    assert item.source == "custom"
    assert item.status == "valid"
    assert item.file_path == "plugins/custom/my_provider.py"


def test_a_module_may_hold_several_plugins(plugin_folder):
    plugin_folder.write(
        "pair.py",
        good_plugin_source() + "\nSecondPlugin = AIProviderPlugin(provider_class=GoodProvider, metadata={})\n",
    )

    keys = {c.key for c in discover() if c.module.endswith(".pair")}

    assert keys == {plugin_folder.key("pair", "GoodPlugin"), plugin_folder.key("pair", "SecondPlugin")}


def test_an_imported_plugin_is_listed_once_under_its_defining_module(plugin_folder):
    plugin_folder.write("zzz_defining.py", good_plugin_source())
    plugin_folder.write("aaa_reexport.py", "from .zzz_defining import GoodPlugin  # noqa\n")

    keys = [c.key for c in discover() if c.key.startswith(plugin_folder.package)]

    assert keys == [plugin_folder.key("zzz_defining", "GoodPlugin")]


def test_helpers_and_modules_without_plugins_are_not_plugins(plugin_folder):
    plugin_folder.write("_helpers.py", good_plugin_source())
    plugin_folder.write("constants.py", "TIMEOUT = 3\n")

    assert [c for c in discover() if c.key.startswith(plugin_folder.package)] == []


def test_rescan_picks_up_added_edited_and_removed_files_in_the_same_process(plugin_folder):
    key = plugin_folder.key("good", "GoodPlugin")
    assert registry.get(key) is None

    file = plugin_folder.write("good.py", good_plugin_source("1.0.0"))
    registry.rescan()
    assert registry.get(key).version == "1.0.0"

    file.write_text(good_plugin_source("2.1.0"), encoding="utf-8")
    registry.rescan()
    assert registry.get(key).version == "2.1.0"

    file.unlink()
    registry.rescan()
    assert registry.get(key) is None
    assert f"{plugin_folder.package}.good" not in sys.modules


def test_folder_module_names_are_stable_identifiers():
    assert module_name_for_directory("/srv/ai-plugins") == "aiticker_plugin_dirs.ai_plugins"
    assert module_name_for_directory("/other/ai-plugins", taken=["ai_plugins"]) == "aiticker_plugin_dirs.ai_plugins_2"
    assert module_name_for_directory("/srv/2024") == "aiticker_plugin_dirs.dir_2024"


def test_a_missing_plugin_folder_is_skipped_without_failing_the_scan(settings, tmp_path, plugin_folder):
    plugin_folder.write("good.py", good_plugin_source())
    settings.AITICKER_PLUGIN_DIRS = [str(tmp_path / "nowhere"), str(plugin_folder.path)]

    assert by_key(scan())[plugin_folder.key("good", "GoodPlugin")].is_valid


@pytest.fixture
def installed_package(tmp_path, monkeypatch):
    """A real (if tiny) installed distribution declaring two entry points in group aiticker.plugins."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "aiticker_fake_vendor.py").write_text(good_plugin_source("3.0.0"), encoding="utf-8")
    dist_info = site / "aiticker_fake_vendor-3.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: aiticker-fake-vendor\nVersion: 3.0.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[aiticker.plugins]\nvendor = aiticker_fake_vendor:GoodPlugin\nbroken = aiticker_fake_missing:Plugin\n"
    )
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("aiticker_fake_vendor", None)


def test_installed_packages_are_found_through_their_entry_points(installed_package):
    found = by_key(scan())

    assert found["aiticker_fake_vendor:GoodPlugin"].source == "package"
    assert found["aiticker_fake_vendor:GoodPlugin"].declaration.version == "3.0.0"
    assert found["aiticker_fake_missing:Plugin"].status == "missing-dependency"
    assert isinstance(registry.get("aiticker_fake_vendor:GoodPlugin"), AIProviderPlugin)
