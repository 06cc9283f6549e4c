"""Settings come from the environment: LOG_LEVEL=DEBUG turns on the debug logging the plugin guide promises."""

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
