"""The runticker loop in-process: ticks, health checks, database trouble, bugs and the --once contract."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from aiticker import loop as loop_module
from aiticker.lease import Lease
from aiticker.loop import LeaseBusy, LoopOptions, TickerLoop
from aiticker.models import Tick, TickerLease

from .conftest import DISTINCT

# The loop renews its lease from a heartbeat thread on its own connection; inside a test-wide transaction
# that thread would wait forever on the row lock the test holds (PostgreSQL), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def test_iterations_runs_that_many_ticks_and_releases_the_lease(make_provider, ticker_settings):
    make_provider("alpha", replies=DISTINCT)

    ticks = TickerLoop(LoopOptions(interval=0.01, iterations=3)).run()

    assert ticks == 3 and Tick.objects.filter(source="fresh").count() == 3
    assert TickerLease.objects.get().holder == ""


def test_an_interval_override_is_what_the_api_and_health_report(make_provider, ticker_settings, client):
    ticker_settings(interval_seconds=600)
    make_provider("alpha", replies=DISTINCT)

    TickerLoop(LoopOptions(interval=7, once=True)).run()

    tick = Tick.objects.get()
    payload = client.get("/api/ticker/").json()
    health = client.get("/api/health/").json()
    assert payload["interval_seconds"] == 7
    assert payload["next_tick_at"] == (tick.shown_at + timedelta(seconds=7)).isoformat().replace("+00:00", "Z")
    assert health["interval_seconds"] == 7 and health["stale_after_seconds"] < 600


def test_each_tick_logs_one_line_with_source_and_provider(make_provider, ticker_settings, caplog):
    make_provider("alpha", reply="Logged.")
    with caplog.at_level(logging.INFO, logger="aiticker.loop"):
        TickerLoop(LoopOptions(once=True)).run()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Tick done")]
    assert len(lines) == 1 and "source=fresh" in lines[0] and "provider=alpha" in lines[0] and "latency_ms=" in lines[0]


def test_health_checks_run_between_ticks_every_health_check_interval(make_provider, ticker_settings, monkeypatch):
    ticker_settings(health_check_interval=1)
    make_provider("alpha", replies=DISTINCT)
    calls = []
    monkeypatch.setattr("providers.health.check_providers", lambda providers=None: calls.append(1) or [])
    clock = iter(range(0, 1000, 2))  # every look at the clock is two seconds later
    monkeypatch.setattr(loop_module.time, "monotonic", lambda: next(clock))

    TickerLoop(LoopOptions(interval=0.01, iterations=4)).run()

    assert len(calls) >= 2


def test_a_locked_database_is_retried_with_backoff_not_fatal(make_provider, ticker_settings, monkeypatch, caplog):
    make_provider("alpha", reply="After the lock.")
    monkeypatch.setattr(loop_module, "DB_RETRY_INITIAL", 0.01)
    real_run_tick = loop_module.run_tick
    failures = iter([OperationalError("database is locked"), OperationalError("database is locked")])

    def flaky_run_tick(**kwargs):
        error = next(failures, None)
        if error:
            raise error
        return real_run_tick(**kwargs)

    monkeypatch.setattr(loop_module, "run_tick", flaky_run_tick)
    with caplog.at_level(logging.WARNING, logger="aiticker.loop"):
        ticks = TickerLoop(LoopOptions(interval=0.01, iterations=1)).run()

    assert ticks == 1 and Tick.objects.count() == 1
    retries = [r.getMessage() for r in caplog.records if "Database unavailable" in r.getMessage()]
    assert len(retries) == 2 and "database is locked" in retries[0]


def test_an_unexpected_error_in_a_tick_does_not_end_the_loop(make_provider, ticker_settings, monkeypatch):
    make_provider("alpha", replies=DISTINCT)
    real_run_tick = loop_module.run_tick
    calls = []

    def buggy_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("a bug")
        return real_run_tick(**kwargs)

    monkeypatch.setattr(loop_module, "run_tick", buggy_once)
    ticks = TickerLoop(LoopOptions(interval=0.01, iterations=2)).run()

    assert ticks == 2 and len(calls) == 3


def test_stop_event_ends_the_loop_after_the_current_tick(make_provider, ticker_settings, monkeypatch):
    make_provider("alpha", replies=DISTINCT)
    stop = threading.Event()
    real_run_tick = loop_module.run_tick

    def tick_then_stop(**kwargs):
        result = real_run_tick(**kwargs)
        stop.set()
        return result

    monkeypatch.setattr(loop_module, "run_tick", tick_then_stop)
    ticks = TickerLoop(LoopOptions(interval=60), stop=stop).run()

    assert ticks == 1 and Tick.objects.count() == 1


def test_once_refuses_when_another_loop_holds_the_lease(ticker_settings):
    Lease(60, holder="other-host:42:abc").acquire()

    with pytest.raises(LeaseBusy, match="other-host:42:abc"):
        TickerLoop(LoopOptions(once=True)).run()
    with pytest.raises(CommandError, match="Not ticking: another runticker"):
        call_command("runticker", "--once")
    assert Tick.objects.count() == 0


def test_command_runs_once_and_reports(make_provider, ticker_settings, capsys):
    make_provider("alpha", reply="Hello from the command.")
    call_command("runticker", "--once")
    assert "runticker stopped after 1 tick(s)." in capsys.readouterr().out
    assert Tick.objects.get().message.content == "Hello from the command."


def test_command_rejects_a_bad_interval():
    with pytest.raises(CommandError, match="--interval"):
        call_command("runticker", "--interval", "0")
