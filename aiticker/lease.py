"""The single-active-loop guarantee: a lease row in the database that one ``runticker`` process holds.

Taking and renewing the lease is one conditional UPDATE (``WHERE holder = me OR the lease has expired``), so the
database decides atomically who holds it, on SQLite and PostgreSQL alike; no process ever reads-then-writes.
The holder renews it every tick and while sleeping; a holder killed with ``kill -9`` simply stops renewing and a
standby takes over once the lease expires. The tick transaction renews the lease too (``ensure_held``), so a
holder that lost the lease while stalled cannot write a tick beside the new holder.

Expiry uses each process's clock: loops on several hosts need clocks in step (NTP) to well under the TTL.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, connections
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from .models import TickerLease

logger = logging.getLogger(__name__)

#: The lease never lasts less than this, so a short interval does not make a busy database lose it.
MIN_TTL_SECONDS = 5.0


class LeaseLost(Exception):
    """The lease expired and another process took it: this process must not write a tick."""


def lease_ttl(interval_seconds: float) -> float:
    """About two intervals: a standby takes over within a couple of intervals after the holder dies."""
    return max(2.0 * float(interval_seconds), MIN_TTL_SECONDS)


def make_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass
class LeaseInfo:
    holder: str
    expires_at: datetime | None


class Lease:
    """This process's handle on the ticker lease."""

    def __init__(self, ttl_seconds: float, holder: str | None = None) -> None:
        self.holder = holder or make_holder_id()
        self.ttl_seconds = float(ttl_seconds)
        self.held = False

    def acquire(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; True when this process holds it afterwards."""
        now = now or timezone.now()
        updated = self._conditional_update(now)
        if not updated and not TickerLease.objects.filter(pk=TickerLease.SINGLETON_PK).exists():
            TickerLease.objects.get_or_create(pk=TickerLease.SINGLETON_PK)  # the row was deleted by hand
            updated = self._conditional_update(now)
        was_held, self.held = self.held, updated == 1
        if self.held and not was_held:
            logger.info("Ticker lease acquired by %s (ttl %.0fs)", self.holder, self.ttl_seconds)
        elif was_held and not self.held:
            logger.warning("Ticker lease lost by %s: another process took it over", self.holder)
        return self.held

    renew = acquire

    def _conditional_update(self, now: datetime) -> int:
        return TickerLease.objects.filter(
            Q(holder=self.holder) | Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now),
            pk=TickerLease.SINGLETON_PK,
        ).update(
            holder=self.holder,
            expires_at=now + timedelta(seconds=self.ttl_seconds),
            renewed_at=now,
            acquired_at=Case(When(holder=self.holder, then="acquired_at"), default=Value(now)),
        )

    def ensure_held(self, now: datetime | None = None) -> None:
        """Renew inside the caller's transaction, or raise ``LeaseLost`` so that transaction rolls back."""
        if not self.acquire(now):
            raise LeaseLost(f"{self.holder} no longer holds the ticker lease")

    def release(self) -> None:
        """Give the lease up at once on a clean exit, so a standby need not wait for it to expire."""
        TickerLease.objects.filter(pk=TickerLease.SINGLETON_PK, holder=self.holder).update(holder="", expires_at=None)
        if self.held:
            logger.info("Ticker lease released by %s", self.holder)
        self.held = False


def current_lease() -> LeaseInfo | None:
    """Who holds the lease now (None when it is free or expired)."""
    row = TickerLease.objects.filter(pk=TickerLease.SINGLETON_PK).first()
    if row is None or not row.holder or row.expires_at is None or row.expires_at < timezone.now():
        return None
    return LeaseInfo(holder=row.holder, expires_at=row.expires_at)


class LeaseHeartbeat:
    """Renews the lease from a background thread while a long tick runs (provider calls may take minutes).

    The thread uses its own database connection and closes it when done.
    """

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ticker-lease-heartbeat", daemon=True)

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.lease.ttl_seconds / 3):
                try:
                    self.lease.renew()
                except DatabaseError as exc:  # the next renewal, or the tick's own, will tell
                    logger.warning("Renewing the ticker lease failed: %s", exc)
        finally:
            connections.close_all()
