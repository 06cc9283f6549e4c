"""The ``runticker`` loop: hold the lease, tick every interval, check provider health between ticks.

It is built to run unattended for months: a provider crash is one failed attempt, a locked or vanished database
is waited out with capped exponential backoff, and SIGINT/SIGTERM (setting ``stop``) end it after the current
tick with exit code 0.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection
from django.db.migrations.executor import MigrationExecutor

from .archive import archive_index
from .engine import TickResult, run_tick
from .lease import Lease, LeaseHeartbeat, LeaseLost, current_lease, lease_ttl
from .models import TickerSettings

logger = logging.getLogger(__name__)

#: Backoff bounds while the database is locked or unreachable, in seconds.
DB_RETRY_INITIAL = 0.5
DB_RETRY_MAX = 30.0


class LeaseBusy(Exception):
    """``--once`` found the lease held by another live loop."""


@dataclass
class LoopOptions:
    interval: float | None = None  # overrides TickerSettings.interval_seconds
    iterations: int | None = None  # stop after this many ticks (None: forever)
    once: bool = False  # one tick, or LeaseBusy when another loop holds the lease


def pending_migrations() -> list:
    """Migrations not applied to the database yet; empty when it cannot be reached (the loop then waits for it).

    Without this, a loop started on an unmigrated SQLite file would take "no such table" for a locked
    database and retry forever.
    """
    try:
        executor = MigrationExecutor(connection)
        return executor.migration_plan(executor.loader.graph.leaf_nodes())
    except (OperationalError, InterfaceError):
        return []
    finally:
        close_old_connections()


class TickerLoop:
    """Runs ticks until ``stop`` is set or the requested number of ticks is done."""

    def __init__(self, options: LoopOptions, stop: threading.Event | None = None) -> None:
        self.options = options
        self.stop = stop or threading.Event()
        self.lease: Lease | None = None
        self.ticks = 0
        self._next_health_check: float | None = None
        self._standby_logged = False

    def run(self) -> int:
        """Loop; returns the number of ticks run by this process."""
        backoff = DB_RETRY_INITIAL
        try:
            while not self.stop.is_set():
                try:
                    done = self._step()
                    backoff = DB_RETRY_INITIAL
                    if done:
                        break
                except (OperationalError, InterfaceError) as exc:
                    logger.warning("Database unavailable (%s); retrying in %.1fs", str(exc).strip(), backoff)
                    self._reset_connection()
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, DB_RETRY_MAX)
        finally:
            self._release()
        return self.ticks

    def _interval(self, config: TickerSettings) -> float:
        return float(self.options.interval or config.interval_seconds)

    def _step(self) -> bool:
        """One pass: take the lease (or wait as standby), tick, then sleep. True when the loop should end."""
        close_old_connections()
        config = TickerSettings.load()
        interval = self._interval(config)
        if self.lease is None:
            self.lease = Lease(lease_ttl(interval))
        self.lease.ttl_seconds = lease_ttl(interval)

        was_held = self.lease.held
        if not self.lease.acquire():
            holder = current_lease()
            if self.options.once:
                until = holder.expires_at.isoformat(timespec="seconds") if holder and holder.expires_at else "?"
                raise LeaseBusy(
                    f"another runticker ({holder.holder if holder else 'unknown'}) holds the lease until {until}"
                )
            if not self._standby_logged:
                logger.info(
                    "Standing by: the ticker lease is held by %s; retrying every %.1fs",
                    holder.holder if holder else "another process",
                    max(interval / 2, 0.5),
                )
                self._standby_logged = True
            self.stop.wait(max(interval / 2, 0.5))
            return False
        self._standby_logged = False
        if not was_held:
            # Another process may have ticked while this one was not holding the lease.
            archive_index.invalidate()

        started = time.monotonic()
        result = self._tick(interval)
        if result is not None:
            self.ticks += 1
        if self.options.once or (self.options.iterations and self.ticks >= self.options.iterations):
            return True
        self._maybe_check_health(config)
        self._sleep_until(started + interval)
        return False

    def _tick(self, interval: float) -> TickResult | None:
        try:
            with LeaseHeartbeat(self.lease):
                result = run_tick(lease=self.lease, interval=interval)
        except LeaseLost as exc:
            logger.warning("Tick dropped: %s", exc)
            return None
        except (OperationalError, InterfaceError):
            raise
        except Exception:  # a bug must not end a loop that screens depend on; the traceback tells why
            logger.exception("Tick failed unexpectedly; the loop goes on")
            return None
        logger.info("Tick done: %s", result.describe())
        return result

    def _maybe_check_health(self, config: TickerSettings) -> None:
        now = time.monotonic()
        if self._next_health_check is None:
            self._next_health_check = now + config.health_check_interval
            return
        if now < self._next_health_check:
            return
        self._next_health_check = now + config.health_check_interval
        try:
            from providers.health import check_providers

            outcomes = check_providers()
            logger.info("Health checks done: %d providers", len(outcomes))
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception("Health checks failed; the loop goes on")
        # A periodic reload also picks up messages deleted in the admin since the index was loaded.
        archive_index.invalidate()

    def _sleep_until(self, deadline: float) -> None:
        """Wait for the next tick, renewing the lease so a standby never mistakes this loop for dead."""
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.stop.wait(min(remaining, self.lease.ttl_seconds / 3)):
                return
            if deadline - time.monotonic() > 0:
                self.lease.renew()

    def _reset_connection(self) -> None:
        try:
            connection.close()
        except DatabaseError:
            pass
        close_old_connections()

    def _release(self) -> None:
        if self.lease is None or not self.lease.held:
            return
        try:
            self.lease.release()
        except DatabaseError as exc:  # it expires by itself; a standby just waits a little longer
            logger.warning("Releasing the ticker lease failed: %s", exc)
