"""Process faults with real processes on a file SQLite database: kill -9 mid-call, a locked database, and web
readers hammering the site while the loop writes.

The database is prepared once per module (migrate, sync plugins, seed) and copied per test; the tests read it
with the sqlite3 module, with the shared helpers of tests/support/processes.py.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.support.fault_server import free_port
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
MOCK = "plugins.custom.mock_provider:MockPlugin"
REMOTE = "plugins.builtin.openai_compatible_provider:OpenAICompatiblePlugin"
Plugin.objects.filter(key__in=[MOCK, REMOTE]).update(enabled=True)
mock, remote = Plugin.objects.get(key=MOCK), Plugin.objects.get(key=REMOTE)
Provider.objects.create(name="mock", plugin=mock, model="mock-1", extra_params={"seed": 1})
Provider.objects.create(
    name="remote", plugin=remote, model="fault-model", base_url="http://127.0.0.1:9/v1", timeout=30, enabled=False
)
config = TickerSettings.load()
config.reuse_probability = 0
config.interval_seconds = 1
config.save()
"""


@pytest.fixture
def processes():
    """Start processes with ``start(args, log, **env)``; every one still running at the end is killed."""
    started: list[tuple[subprocess.Popen, object]] = []

    def start(args: list[str], log: Path, db_path: Path, **env: str) -> subprocess.Popen:
        output = log.open("w")
        process = subprocess.Popen(args, env={**process_env(db_path), **env}, stdout=output, stderr=subprocess.STDOUT)
        started.append((process, output))
        return process

    yield start
    for process, output in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        output.close()


def _execute(db_path: Path, sql: str, params=()) -> None:
    connection = sqlite3.connect(db_path, timeout=20)
    with connection:
        connection.execute(sql, params)
    connection.close()


def _use_only_remote(db_path: Path, base_url: str) -> None:
    _execute(db_path, "UPDATE providers_provider SET enabled = (name = 'remote')")
    _execute(db_path, "UPDATE providers_provider SET base_url = ? WHERE name = 'remote'", (base_url,))


def _assert_nothing_half_written(db_path: Path) -> None:
    """No tick without its parts and no part without its tick (the tick transaction is all or nothing)."""
    assert_ticks_complete(db_path)
    assert query(db_path, "PRAGMA integrity_check") == [("ok",)]
    orphan_attempts = query(
        db_path,
        "SELECT COUNT(*) FROM providers_attempt a WHERE a.purpose = 'generate'"
        " AND NOT EXISTS (SELECT 1 FROM aiticker_tick_attempts ta WHERE ta.attempt_id = a.id)",
    )
    assert orphan_attempts == [(0,)], "a generation attempt without its tick is a half-written tick"
    links = query(
        db_path,
        "SELECT COUNT(*) FROM aiticker_tick_attempts ta WHERE NOT EXISTS"
        " (SELECT 1 FROM providers_attempt a WHERE a.id = ta.attempt_id)",
    )
    assert links == [(0,)]


def test_kill_9_during_a_provider_call_leaves_no_half_written_tick(db_path, fault_server, processes, tmp_path):
    _use_only_remote(db_path, fault_server.url("ok"))
    manage(db_path, "runticker", "--once")  # one complete tick before the crash
    assert query(db_path, "SELECT source FROM aiticker_tick") == [("fresh",)]

    _use_only_remote(db_path, fault_server.url("hang"))
    hung = len(fault_server.requests_for("hang"))
    loop = processes([sys.executable, MANAGE, "runticker", "--interval", "1"], tmp_path / "killed.log", db_path)
    wait_for(lambda: len(fault_server.requests_for("hang")) > hung, 20, "the provider call to be in flight")
    time.sleep(0.3)  # the loop is now waiting on the socket (its heartbeat keeps renewing the lease)
    loop.send_signal(signal.SIGKILL)
    loop.wait(10)

    assert tick_count(db_path) == 1, "the tick in flight left nothing behind"
    assert query(db_path, "SELECT COUNT(*) FROM aiticker_message") == [(1,)]
    assert query(db_path, "SELECT COUNT(*) FROM providers_attempt") == [(1,)]
    _assert_nothing_half_written(db_path)

    # Restarted, the loop waits out the dead holder's lease (at most its TTL) and ticks normally.
    _use_only_remote(db_path, fault_server.url("ok"))
    restarted = processes(
        [sys.executable, MANAGE, "runticker", "--interval", "0.5"], tmp_path / "restarted.log", db_path
    )
    wait_for(lambda: tick_count(db_path) >= 2, 30, "a tick from the restarted loop")
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(15) == 0
    assert query(db_path, "SELECT source FROM aiticker_tick ORDER BY id DESC LIMIT 1") == [("fresh",)]
    _assert_nothing_half_written(db_path)


def test_a_locked_database_is_waited_out_with_backoff(db_path, processes, tmp_path):
    log = tmp_path / "runticker.log"
    loop = processes(
        [sys.executable, MANAGE, "runticker", "--interval", "0.3"],
        log,
        db_path,
        AITICKER_SQLITE_BUSY_TIMEOUT="0.5",  # fail fast on the lock, so the loop's own retry path runs
    )
    wait_for(lambda: tick_count(db_path) >= 1, 20, "the first tick")

    locker = sqlite3.connect(db_path, timeout=20, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # no other connection may write until ROLLBACK
    try:
        count_at_lock = tick_count(db_path)
        wait_for(lambda: log.read_text().count("Database unavailable") >= 2, 20, "the loop to retry twice")
        assert tick_count(db_path) == count_at_lock
        assert loop.poll() is None, "the loop waits; it does not exit"
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    wait_for(lambda: tick_count(db_path) > count_at_lock, 40, "a tick after the lock was released")
    loop.send_signal(signal.SIGTERM)
    assert loop.wait(15) == 0
    text = log.read_text()
    assert "database is locked" in text and "retrying in 0.5s" in text and "retrying in 1.0s" in text
    assert "Traceback" not in text
    _assert_nothing_half_written(db_path)


#: Bounded load: a few reader threads for this many seconds.
LOAD_SECONDS = 5.0
READERS = 4
PATHS = ["/", "/api/ticker/", "/api/health/"]


def _hammer(base_url: str, stop: threading.Event, statuses: Counter, errors: list[str], lock: threading.Lock):
    with httpx.Client(base_url=base_url, timeout=10) as client:
        turn = 0
        while not stop.is_set():
            path = PATHS[turn % len(PATHS)]
            turn += 1
            try:
                response = client.get(path)
                key = f"{path} {response.status_code}"
            except httpx.HTTPError as exc:
                key = f"{path} {type(exc).__name__}"
                with lock:
                    errors.append(key)
            with lock:
                statuses[key] += 1


def test_readers_see_no_errors_while_the_loop_ticks(db_path, processes, tmp_path):
    port = free_port()
    env = {"AITICKER_PUBLIC_THROTTLE_RATE": "1000000/min"}  # the throttle is not what this test measures
    web = processes(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "aiticker.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
        ],
        tmp_path / "gunicorn.log",
        db_path,
        **env,
    )
    loop = processes([sys.executable, MANAGE, "runticker", "--interval", "0.2"], tmp_path / "runticker.log", db_path)
    base_url = f"http://127.0.0.1:{port}"

    def web_ready() -> bool:
        try:
            return httpx.get(base_url + "/api/ticker/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(web_ready, 30, "gunicorn to answer")
    wait_for(lambda: tick_count(db_path) >= 1, 20, "the first tick")

    statuses: Counter = Counter()
    errors: list[str] = []
    lock, stop = threading.Lock(), threading.Event()
    ticks_before = query(db_path, "SELECT MAX(id) FROM aiticker_tick")[0][0]
    readers = [threading.Thread(target=_hammer, args=(base_url, stop, statuses, errors, lock)) for _ in range(READERS)]
    for reader in readers:
        reader.start()
    time.sleep(LOAD_SECONDS)
    stop.set()
    for reader in readers:
        reader.join(15)
    ticks_during = query(db_path, "SELECT MAX(id) FROM aiticker_tick")[0][0] - ticks_before

    assert loop.poll() is None and web.poll() is None
    for process in (loop, web):
        process.send_signal(signal.SIGTERM)
        process.wait(15)
    total = sum(statuses.values())
    summary = {"requests": total, "errors": len(errors), "ticks": ticks_during, "statuses": dict(statuses)}
    print(f"\nconcurrent readers: {json.dumps(summary)}")

    assert errors == [], summary
    assert all(key.endswith(" 200") for key in statuses), summary
    assert total >= 50 and ticks_during >= 5, f"the load and the ticks overlapped: {summary}"
    _assert_nothing_half_written(db_path)
