"""Bad values in admin forms, management commands and the environment: a clear error, nothing written.

Admin forms must show the error on the field (HTTP 200 with the form again), never a 500. Commands must exit
non-zero with one readable ``CommandError`` line. A malformed environment variable must stop ``manage.py`` with
one line naming the variable, and no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from aiticker.models import PromptProfile, TickerSettings
from providers.models import Provider

from .conftest import MOCK_KEY

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)

# --- Admin forms ------------------------------------------------------------------------------------------


def provider_form(plugin_pk: int, **overrides) -> dict:
    data = {
        "name": "From the admin",
        "plugin": str(plugin_pk),
        "enabled": "on",
        "priority": "10",
        "base_url": "",
        "api_key": "",
        "model": "mock-1",
        "max_tokens": "256",
        "temperature": "0.7",
        "timeout": "30",
        "extra_params": "{}",
        "extra_headers": "{}",
        "notes": "",
    }
    data.update(overrides)
    return data


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code  # the form again, not a redirect and not a 500
    return response.context["adminform"].form.errors


BAD_PROVIDER_FIELDS = [
    ("name", ""),
    ("name", "nul\x00"),
    ("name", "n" * 101),
    ("plugin", "999999"),
    ("plugin", "not-a-number"),
    ("priority", "-1"),
    ("base_url", "ftp://example.com"),
    ("base_url", "http://[::1"),
    ("model", ""),
    ("max_tokens", "0"),
    ("max_tokens", "40000"),
    ("temperature", "2.5"),
    ("temperature", "NaN"),
    ("temperature", "inf"),
    ("timeout", "0"),
    ("timeout", "many"),
    ("extra_params", "[1, 2]"),
    ("extra_params", "{not json"),
    ("extra_params", '{"stop": "\\u0000"}'),
    ("extra_params", '{"k": "\\ud800"}'),
    ("extra_params", '{"n": 1e999}'),
    ("extra_headers", '{"X-Count": 1}'),
    ("extra_headers", '{"X-Evil": "a\\r\\nSet-Cookie: x=1"}'),
    ("api_key", "fernet:gAAAAABnotarealtoken"),
    ("api_key", "k\x00"),
]


@pytest.mark.parametrize(
    ("field", "value"), BAD_PROVIDER_FIELDS, ids=[f"{f}={v!r:.25}" for f, v in BAD_PROVIDER_FIELDS]
)
def test_provider_admin_form_shows_the_error_on_the_field(client, staff, mock_plugin, field, value):
    client.force_login(staff)
    response = client.post("/admin/providers/provider/add/", provider_form(mock_plugin.pk, **{field: value}))
    errors = form_errors(response)
    assert field in errors, errors
    assert not Provider.objects.exists()


def test_provider_admin_change_with_bad_values_keeps_the_stored_row(client, staff, mock_provider):
    client.force_login(staff)
    before = Provider.objects.values().get(pk=mock_provider.pk)
    response = client.post(
        f"/admin/providers/provider/{mock_provider.pk}/change/",
        provider_form(mock_provider.plugin_id, name="Mock", temperature="9", extra_params='{"a": "\\u0000"}'),
    )
    assert set(form_errors(response)) == {"temperature", "extra_params"}
    assert Provider.objects.values().get(pk=mock_provider.pk) == before


def test_a_good_provider_form_saves(client, staff, mock_plugin):
    """The bad-value tests above can fail: the same form with good values is accepted."""
    client.force_login(staff)
    response = client.post("/admin/providers/provider/add/", provider_form(mock_plugin.pk))
    assert response.status_code == 302, form_errors(response)
    assert Provider.objects.get().name == "From the admin"


TICKER_SETTINGS = {
    "interval_seconds": "30",
    "health_check_interval": "300",
    "reuse_probability": "0.2",
    "recent_limit": "10",
    "fuzzy_threshold": "90",
    "archive_limit": "1000",
}
BAD_TICKER_SETTINGS = [
    ("interval_seconds", "0"),
    ("interval_seconds", "-5"),
    ("interval_seconds", "soon"),
    ("interval_seconds", "99999999999999999999"),
    ("health_check_interval", "0"),
    ("reuse_probability", "1.5"),
    ("reuse_probability", "-0.1"),
    ("reuse_probability", "nan"),
    ("recent_limit", "0"),
    ("fuzzy_threshold", "101"),
    ("fuzzy_threshold", "inf"),
    ("archive_limit", "0"),
    ("archive_limit", ""),
]


@pytest.mark.parametrize(("field", "value"), BAD_TICKER_SETTINGS)
def test_ticker_settings_admin_shows_the_error_on_the_field(client, staff, field, value):
    client.force_login(staff)
    row = TickerSettings.load()
    before = TickerSettings.objects.values().get(pk=row.pk)
    response = client.post(f"/admin/aiticker/tickersettings/{row.pk}/change/", {**TICKER_SETTINGS, field: value})
    assert field in form_errors(response)
    assert TickerSettings.objects.values().get(pk=row.pk) == before


def test_ticker_settings_admin_accepts_good_values(client, staff):
    client.force_login(staff)
    row = TickerSettings.load()
    response = client.post(
        f"/admin/aiticker/tickersettings/{row.pk}/change/", {**TICKER_SETTINGS, "interval_seconds": "45"}
    )
    assert response.status_code == 302
    assert TickerSettings.load().interval_seconds == 45


BAD_PROFILES = [
    ("name", ""),
    ("name", "bad\x00name"),
    ("name", "p" * 101),
    ("user_prompt", ""),
    ("user_prompt", "   \n  "),
    ("user_prompt", "nul \x00 in prompt"),
    ("system_prompt", "\x00"),
]


@pytest.mark.parametrize(("field", "value"), BAD_PROFILES)
def test_prompt_profile_admin_shows_the_error_on_the_field(client, staff, field, value):
    client.force_login(staff)
    before = PromptProfile.objects.count()
    data = {"name": "Evening", "system_prompt": "Be brief.", "user_prompt": "Say something.", field: value}
    response = client.post("/admin/aiticker/promptprofile/add/", data)
    assert field in form_errors(response)
    assert PromptProfile.objects.count() == before


def test_an_oversized_admin_post_is_a_400_not_a_500(client, staff, mock_plugin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    client.force_login(staff)
    response = client.post("/admin/providers/provider/add/", provider_form(mock_plugin.pk, notes="n" * 10_000))
    assert response.status_code == 400
    assert not Provider.objects.exists()


# --- importproviders / checkplugin ------------------------------------------------------------------------


def write(tmp_path: Path, content: str | bytes, name: str = "plugin_config.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def entry(**config) -> str:
    return json.dumps(
        {"plugins": {"mock": {"plugin": MOCK_KEY, "enabled": True, "config": {"model": "mock-1", **config}}}}
    )


BAD_FILES = [
    ("missing file", None, "file not found"),
    ("a directory", "DIR", "is a directory"),
    ("malformed JSON", '{"plugins": {', "invalid JSON at line 1"),
    ("not UTF-8", b'{"plugins": {"\xff": {}}}', "not UTF-8"),
    ("not an object", "[1, 2, 3]", "must hold a JSON object"),
    ("unknown top-level key", '{"plugins": {}, "extra": 1}', "unknown top-level key"),
    ("unknown config key", entry(colour="blue"), "plugins.mock.config.colour: unknown key"),
    ("unknown entry key", entry().replace('"enabled"', '"x": 1, "enabled"'), "plugins.mock.x: unknown key"),
    ("wrong type", entry(temperature="hot"), 'plugins.mock.config.temperature: must be a number, not "hot"'),
    ("boolean for a number", entry(max_tokens=True), "plugins.mock.config.max_tokens"),
    ("out of range", entry(timeout=9999), "plugins.mock.config.timeout"),
    ("bad base_url", entry(base_url="file:///etc/passwd"), "plugins.mock.config.base_url"),
    ("NUL in params", entry(extra_params={"stop": "\x00"}), "plugins.mock.config.extra_params"),
    ("unknown plugin", entry().replace(MOCK_KEY, "plugins.nowhere:Missing"), "unknown plugin 'plugins.nowhere:"),
    ("code path as plugin", entry().replace(MOCK_KEY, "/tmp/evil.py"), "unknown plugin '/tmp/evil.py'"),
]


@pytest.mark.parametrize(("label", "content", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_importproviders_rejects_a_bad_file_in_one_line_and_writes_nothing(
    tmp_path, mock_plugin, label, content, expected
):
    if content is None:
        path = tmp_path / "absent.json"
    elif content == "DIR":
        path = tmp_path
    else:
        path = write(tmp_path, content)
    with pytest.raises(CommandError) as error:
        call_command("importproviders", str(path))
    message = str(error.value)
    assert expected in message, message
    assert "\n" not in message and "Traceback" not in message
    assert not Provider.objects.exists()


def test_importproviders_accepts_the_same_file_once_fixed(tmp_path, mock_plugin):
    call_command("importproviders", str(write(tmp_path, entry(temperature=0.5))))
    assert Provider.objects.get().temperature == 0.5


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("plugins.nowhere:Missing", "no plugin with key 'plugins.nowhere:Missing'"),
        ("os:system", "no plugin with key 'os:system'"),
        ("/nonexistent/folder/plugin.py", "/nonexistent/folder/plugin.py"),
        ("/etc/hostname", "not a Python file"),
    ],
)
def test_checkplugin_with_an_unknown_key_or_bad_path_fails_in_one_line(argument, expected):
    with pytest.raises(CommandError) as error:
        call_command("checkplugin", argument)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


# --- The same, as real processes: exit status and stderr ---------------------------------------------------


def run_manage(args: list[str], tmp_path: Path, **environment: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AITICKER_ENV_FILE": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "LOG_LEVEL": "WARNING",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def assert_one_line_failure(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.subprocess
def test_command_errors_are_one_line_and_non_zero_in_a_real_process(tmp_path):
    assert_one_line_failure(
        run_manage(["importproviders", str(write(tmp_path, "{oops"))], tmp_path), "CommandError", "invalid JSON"
    )
    assert_one_line_failure(
        run_manage(["importproviders", str(tmp_path / "nope.json")], tmp_path), "CommandError", "file not found"
    )
    assert_one_line_failure(run_manage(["checkplugin", "plugins.nowhere:Missing"], tmp_path), "CommandError")


INVALID_ENVIRONMENT = [
    ("AITICKER_CIRCUIT_FAILURES", "abc"),
    ("AITICKER_CIRCUIT_FAILURES", "0"),
    ("AITICKER_MAX_REQUEST_BYTES", "12"),
    ("LOG_LEVEL", "loud"),
    ("DATABASE_URL", "nonsense"),
    ("DATABASE_URL", "mongodb://admin:hunter2-db-password@db/aiticker"),
    ("DEBUG", "perhaps"),
    ("SECURE_SSL_REDIRECT", "ture"),
    ("SECURE_HSTS_SECONDS", "a year"),
    ("AITICKER_SECRETS_KEY", "not-a-fernet-key"),
    ("AITICKER_EMBED_FRAME_ANCESTORS", "obs.example.com"),
    ("AITICKER_API_PAGE_SIZE", "-3"),
]


@pytest.mark.subprocess
@pytest.mark.parametrize(("name", "value"), INVALID_ENVIRONMENT, ids=[f"{n}={v}" for n, v in INVALID_ENVIRONMENT])
def test_an_invalid_environment_value_stops_manage_py_naming_the_variable(tmp_path, name, value):
    result = run_manage(["check"], tmp_path, **{name: value})
    assert_one_line_failure(result, "Configuration error", name)
    if "password" in value:
        assert value not in result.stderr and "hunter2" not in result.stderr  # a URL's password is never echoed


@pytest.mark.subprocess
def test_a_valid_environment_passes_the_same_check(tmp_path):
    result = run_manage(["check"], tmp_path, AITICKER_CIRCUIT_FAILURES="5", DEBUG="false", LOG_LEVEL="info")
    assert result.returncode == 0, result.stderr
