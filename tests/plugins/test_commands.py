"""manage.py syncplugins and checkplugin."""

from io import StringIO

import httpx
import pytest
import respx
from django.core.management import CommandError, call_command

from plugins.models import Plugin

from .conftest import good_plugin_source, guide_example_source

pytestmark = pytest.mark.django_db

BASE_URL = "https://my-ai.example/v1"
COMPLETION = {"id": "c1", "choices": [{"message": {"content": "Robots write haiku."}, "finish_reason": "stop"}]}


def run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_syncplugins_prints_a_table_and_the_reasons(plugin_folder):
    plugin_folder.write("good.py", good_plugin_source())
    plugin_folder.write("bad.py", good_plugin_source("v1"))

    output = run("syncplugins")

    good_key, bad_key = plugin_folder.key("good", "GoodPlugin"), plugin_folder.key("bad", "GoodPlugin")
    lines = output.splitlines()
    assert lines[0].split() == ["KEY", "NAME", "VERSION", "STATUS", "ENABLED"]
    assert next(line for line in lines if line.startswith(good_key)).split() == [
        good_key,
        "Good",
        "1.0.0",
        "valid",
        "yes",
    ]
    assert next(line for line in lines if line.startswith(bad_key)).split()[-2:] == ["invalid", "no"]
    assert f"{bad_key}: metadata version 'v1' is not a semantic version" in output
    assert Plugin.objects.filter(key=good_key, enabled=True).exists()


def test_checkplugin_runs_the_guide_example_against_a_faked_endpoint(plugin_folder):
    file = plugin_folder.write("my_provider.py", guide_example_source())

    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{BASE_URL}/health").mock(return_value=httpx.Response(200, json={"ok": True}))
        completions = mock.post(f"{BASE_URL}/chat/completions").mock(return_value=httpx.Response(200, json=COMPLETION))
        output = run("checkplugin", str(file), "--api-key", "sk-test", "--base-url", BASE_URL)

    assert "✅ validate: My Custom AI Provider 1.0.0 is valid" in output
    assert "✅ initialize: initialized with model my-gpt-model" in output
    assert "✅ health_check: health check passed" in output
    assert "✅ generate_message: generated response: Robots write haiku." in output
    assert completions.calls.last.request.headers["Authorization"] == "Bearer sk-test"


def test_checkplugin_accepts_a_key_and_fails_with_the_reason(plugin_folder):
    plugin_folder.write("my_provider.py", guide_example_source())
    key = plugin_folder.key("my_provider", "MyCustomPlugin")
    out = StringIO()

    with respx.mock() as mock:
        mock.get(f"{BASE_URL}/health").mock(return_value=httpx.Response(503))
        mock.post(f"{BASE_URL}/chat/completions").mock(return_value=httpx.Response(401, json={"error": "bad key"}))
        with pytest.raises(CommandError, match=f"2 check\\(s\\) failed for {key}"):
            call_command("checkplugin", key, "--api-key", "sk-wrong", "--base-url", BASE_URL, stdout=out)

    output = out.getvalue()
    assert "✅ initialize" in output
    assert "❌ health_check: health_check() reported failure without a reason" in output
    assert "❌ generate_message: MyCustomProvider generation error: Client error '401 Unauthorized'" in output


def test_checkplugin_without_api_key_explains_initialize_failure(plugin_folder):
    file = plugin_folder.write("my_provider.py", guide_example_source())
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("checkplugin", str(file), stdout=out)

    assert (
        "❌ initialize: api_key is required for My Custom AI Provider (no API key given: --api-key)" in out.getvalue()
    )
    assert "health_check" not in out.getvalue()


def test_checkplugin_reports_an_invalid_plugin(plugin_folder):
    file = plugin_folder.write("bad.py", good_plugin_source("1"))
    out = StringIO()

    with pytest.raises(CommandError, match="1 check\\(s\\) failed"):
        call_command("checkplugin", str(file), stdout=out)

    assert "❌ validate: invalid: metadata version '1' is not a semantic version" in out.getvalue()


def test_checkplugin_reads_the_api_key_from_the_plugins_variable(plugin_folder, monkeypatch):
    source = good_plugin_source().replace(
        'default_model = "good-1"', 'default_model = "good-1"\n    api_key_env = "GOOD_KEY"'
    )
    source = source.replace(
        "def initialize(self):\n        return True",
        "def initialize(self):\n        return self.config.api_key == 'from-env'",
    )
    file = plugin_folder.write("keyed.py", source)
    monkeypatch.setenv("GOOD_KEY", "from-env")

    output = run("checkplugin", f"{file}:GoodPlugin")

    assert output.count("✅") == 4


@pytest.mark.parametrize("target", ["plugins.custom.nothing:Here", "/no/such/file.py"])
def test_checkplugin_unknown_target_is_a_clean_error(target):
    with pytest.raises(CommandError, match="no plugin with key|not a Python file"):
        call_command("checkplugin", target, stdout=StringIO())


def test_checkplugin_against_the_mock_plugin():
    output = run("checkplugin", "plugins.custom.mock_provider:MockPlugin")

    assert output.count("✅") == 4
