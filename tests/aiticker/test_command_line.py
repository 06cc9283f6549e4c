"""``manage.py`` as operators run it: debug logging from the environment, and one readable line (no traceback)
when the database is not ready."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.processes import MANAGE, process_env

pytestmark = pytest.mark.subprocess


def _syncplugins(tmp_path, level: str) -> str:
    env = process_env(tmp_path / "settings.sqlite3")
    env["LOG_LEVEL"] = level
    subprocess.run([sys.executable, MANAGE, "migrate", "--noinput"], env=env, capture_output=True, check=True)
    result = subprocess.run(
        [sys.executable, MANAGE, "syncplugins"], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return result.stderr


def test_log_level_debug_logs_plugin_discovery_in_detail(tmp_path):
    log = _syncplugins(tmp_path, "DEBUG")

    assert "DEBUG plugins.discovery: Found plugins.custom.mock_provider:MockPlugin (source=custom" in log


def test_the_default_level_keeps_debug_lines_out(tmp_path):
    log = _syncplugins(tmp_path, "INFO")

    assert " DEBUG " not in log and "INFO plugins.sync" in log


def _run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = process_env(tmp_path / "never-migrated.sqlite3")
    return subprocess.run([sys.executable, MANAGE, *args], env=env, capture_output=True, text=True, timeout=60)


def test_runticker_on_an_unmigrated_database_says_to_migrate_instead_of_waiting_forever(tmp_path):
    result = _run(tmp_path, "runticker")

    assert result.returncode == 1
    assert "unapplied migration(s); run `manage.py migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["checkproviders", "exportproviders", "syncplugins"])
def test_commands_on_an_unmigrated_database_fail_with_one_line(tmp_path, command):
    result = _run(tmp_path, command)

    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith("20")]  # log lines start with a date
    assert lines == [line for line in lines if line.startswith("Database error: ")] and len(lines) == 1, result.stderr
    assert "no such table" in lines[0] and "manage.py migrate" in lines[0]
