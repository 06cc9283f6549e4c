"""``manage.py runticker`` as real processes against a file database: once, SIGTERM, two loops, kill -9.

pytest-django's test database is not visible to other processes, so these tests migrate their own SQLite file
(once per module, then copied per test) and read it with the sqlite3 module.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import (
    MANAGE,
    assert_ticks_complete,
    manage,
    process_env,
    query,
    tick_count,
    wait_for,
)

pytestmark = pytest.mark.subprocess

SEED = """
from plugins.models import Plugin
from providers.models import Provider
from aiticker.models import TickerSettings
plugin = Plugin.objects.get(key="plugins.custom.mock_provider:MockPlugin")
plugin.enabled = True
plugin.save()
Provider.objects.create(name="mock", plugin=plugin, model="mock-1", extra_params={"latency_ms": 50, "seed": 1})
config = TickerSettings.load()
config.reuse_probability = 0
config.interval_seconds = 1
config.save()
"""


def _set_latency(db_path: Path, latency_ms: int) -> None:
    connection = sqlite3.connect(db_path, timeout=20)
    with connection:
        connection.execute(
            "UPDATE providers_provider SET extra_params = ? WHERE name = 'mock'",
            (f'{{"latency_ms": {latency_ms}, "seed": 1}}',),
        )
    connection.close()


def _start(db_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, MANAGE, "runticker", *args],
        env=process_env(db_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen) -> tuple[int, str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def test_once_runs_one_tick_and_exits_zero(db_path):
    result = manage(db_path, "runticker", "--once")

    assert "runticker stopped after 1 tick(s)." in result.stdout
    assert "source=fresh" in result.stderr and "provider=mock" in result.stderr
    assert query(db_path, "SELECT source FROM aiticker_tick") == [("fresh",)]
    assert query(db_path, "SELECT holder FROM aiticker_tickerlease") == [("",)]  # released on exit


def test_sigterm_mid_tick_finishes_the_tick_and_exits_zero(db_path):
    _set_latency(db_path, 1500)  # ticks back to back, so a provider call is in flight most of the time
    process = _start(db_path, "--interval", "1")
    try:
        wait_for(lambda: tick_count(db_path) >= 1, 15, "the first tick")
        time.sleep(0.3)  # the second tick's provider call is now in flight
        process.send_signal(signal.SIGTERM)
        code, out, err = _stop(process)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0, err[-2000:]
    assert tick_count(db_path) == 2, "the tick in flight at SIGTERM was completed"
    assert "runticker stopped after 2 tick(s)." in out
    assert_ticks_complete(db_path)


def test_two_loops_on_one_database_tick_once_per_interval(db_path):
    first = _start(db_path, "--interval", "1")
    second = _start(db_path, "--interval", "1")
    try:
        wait_for(lambda: tick_count(db_path) >= 1, 15, "the first tick")
        start_count, started = tick_count(db_path), time.monotonic()
        time.sleep(5)
        ticks, elapsed = tick_count(db_path) - start_count, time.monotonic() - started
    finally:
        results = [_stop(first), _stop(second)]
    # One loop ticking every second gives about `elapsed` ticks; two ticking would give twice that.
    assert elapsed - 2 <= ticks <= elapsed + 1, (ticks, elapsed)
    assert [code for code, _, _ in results] == [0, 0]
    assert sum("Standing by" in err for _, _, err in results) == 1
    assert_ticks_complete(db_path)


def test_standby_takes_over_after_the_holder_is_killed(db_path):
    holder = _start(db_path, "--interval", "1")
    standby = None
    try:
        wait_for(lambda: tick_count(db_path) >= 1, 15, "the holder's first tick")
        standby = _start(db_path, "--interval", "1")
        wait_for(
            lambda: f":{holder.pid}:" in query(db_path, "SELECT holder FROM aiticker_tickerlease")[0][0], 5, "holder"
        )
        time.sleep(1)
        holder.send_signal(signal.SIGKILL)
        holder.wait(5)
        killed_at, count_at_kill = time.monotonic(), tick_count(db_path)

        wait_for(
            lambda: f":{standby.pid}:" in query(db_path, "SELECT holder FROM aiticker_tickerlease")[0][0],
            12,
            "the standby to take the lease",
        )
        wait_for(lambda: tick_count(db_path) > count_at_kill + 1, 5, "ticks from the new holder")
        takeover = time.monotonic() - killed_at
    finally:
        if holder.poll() is None:
            holder.kill()
        code, _, err = _stop(standby) if standby else (0, "", "")
    assert takeover < 10, "lease TTL (5 s minimum) plus one standby retry"
    assert code == 0 and "Ticker lease acquired" in err
    assert_ticks_complete(db_path)
