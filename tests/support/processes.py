"""Real ``manage.py`` processes against a file SQLite database, for the loop's process-level tests.

pytest-django's test database is not visible to other processes, so these tests migrate their own SQLite file
(once per module, then copied per test) and read it with the sqlite3 module.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def process_env(db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{db_path}",
        AITICKER_ENV_FILE="",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(db_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, MANAGE, *args], env=process_env(db_path), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def query(db_path: Path, sql: str, params=()) -> list[tuple]:
    connection = sqlite3.connect(db_path, timeout=20)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def tick_count(db_path: Path) -> int:
    return query(db_path, "SELECT COUNT(*) FROM aiticker_tick")[0][0]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def assert_ticks_complete(db_path: Path) -> None:
    """Every stored tick is whole: a fresh tick has its message and its successful attempt."""
    rows = query(
        db_path,
        "SELECT t.id, t.source, t.message_id, (SELECT COUNT(*) FROM aiticker_tick_attempts a WHERE a.tick_id = t.id)"
        " FROM aiticker_tick t",
    )
    for tick_id, source, message_id, attempts in rows:
        if source == "fresh":
            assert message_id is not None and attempts >= 1, (tick_id, source, message_id, attempts)
    orphans = query(
        db_path,
        "SELECT COUNT(*) FROM aiticker_message m"
        " WHERE NOT EXISTS (SELECT 1 FROM aiticker_tick t WHERE t.message_id = m.id)",
    )
    assert orphans == [(0,)], "a message without its display record is a half-written tick"


def prepare_database(path: Path, seed: str) -> Path:
    """Migrate a new SQLite file, sync plugins and run ``seed`` (Python for ``manage.py shell``) in it."""
    manage(path, "migrate", "--noinput")
    manage(path, "syncplugins")
    manage(path, "shell", "-c", seed)
    return path
