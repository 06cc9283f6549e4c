"""What the web side reads: the current ticker payload (cached) and the health report.

The loop runs in another process, so the cache of the current payload cannot be invalidated by a call: each
request makes one indexed query for the latest display record's id, and the serialized payload is rebuilt only
when that id changed (a new tick, or the current message deleted in the admin).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from providers.models import Provider

from .models import Message, Tick, TickerSettings

#: Several missed ticks, plus a margin for a slow tick (provider timeouts), before the loop counts as stale.
STALE_AFTER_INTERVALS = 3
STALE_MARGIN_SECONDS = 30


def tick_interval(tick: Tick | None) -> float:
    """Seconds between ticks as the loop that wrote ``tick`` ran them (its --interval may override the setting)."""
    if tick is not None and tick.interval_seconds:
        return tick.interval_seconds
    return TickerSettings.load().interval_seconds


def latest_tick_id() -> int | None:
    return Tick.objects.order_by("-id").values_list("id", flat=True).first()


def build_ticker_payload(tick_id: int | None) -> dict[str, Any]:
    """The public view of display record ``tick_id`` (None: nothing ever shown)."""
    tick = None
    if tick_id is not None:
        tick = Tick.objects.select_related("message").filter(pk=tick_id).first()
    interval = tick_interval(tick)
    next_tick_at = _iso(tick.shown_at + timedelta(seconds=interval)) if tick else None
    message = tick.message if tick else None
    if message is None:
        return {
            "state": "empty",
            "content": None,
            "provider": None,
            "model": None,
            "source": tick.source if tick else None,
            "shown_at": _iso(tick.shown_at) if tick else None,
            "message_id": None,
            "next_tick_at": next_tick_at,
            "interval_seconds": interval,
            "detail": "No message yet: the ticker has not produced one.",
        }
    return {
        "state": "ok",
        "content": message.content,
        "provider": message.provider_name or None,
        "model": message.model_name or None,
        "source": tick.source,
        "shown_at": _iso(tick.shown_at),
        "message_id": message.pk,
        "next_tick_at": next_tick_at,
        "interval_seconds": interval,
        "detail": None,
    }


class TickerPayloadCache:
    """The serialized current payload, keyed by the latest display record's id. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[int | None, dict[str, Any]] | None = None

    def get(self) -> dict[str, Any]:
        tick_id = latest_tick_id()
        entry = self._entry
        if entry is not None and entry[0] == tick_id:
            return entry[1]
        payload = build_ticker_payload(tick_id)
        with self._lock:
            self._entry = (tick_id, payload)
        return payload

    def clear(self) -> None:
        with self._lock:
            self._entry = None


ticker_cache = TickerPayloadCache()


def current_ticker() -> dict[str, Any]:
    """The current message payload for the API and the pages: one query when nothing changed."""
    return ticker_cache.get()


def recent_messages(limit: int = 5, exclude_id: int | None = None) -> list[Message]:
    """The last distinct messages shown before the current one, newest first."""
    seen: list[int] = []
    for message_id in (
        Tick.objects.filter(message__isnull=False).order_by("-id").values_list("message_id", flat=True)[: limit * 4]
    ):
        if message_id != exclude_id and message_id not in seen:
            seen.append(message_id)
        if len(seen) >= limit:
            break
    by_id = Message.objects.in_bulk(seen)
    return [by_id[i] for i in seen if i in by_id]


def provider_statuses(now: datetime | None = None) -> list[dict[str, Any]]:
    """Every enabled provider's health and circuit state; no secrets, no error texts."""
    now = now or timezone.now()
    health_names = {Provider.Health.YES: "healthy", Provider.Health.NO: "down", Provider.Health.UNKNOWN: "unknown"}
    return [
        {
            "name": provider.name,
            "health": health_names.get(provider.healthy, "unknown"),
            "circuit": str(provider.circuit_state(now)),
            "last_checked_at": _iso(provider.last_checked_at),
        }
        for provider in Provider.objects.filter(enabled=True).order_by("priority", "name")
    ]


def ticker_health(now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """The health report and whether the loop counts as alive (the API answers 503 when it does not)."""
    now = now or timezone.now()
    tick = Tick.objects.order_by("-id").only("id", "shown_at", "message_id", "interval_seconds").first()
    interval = tick_interval(tick)
    age = (now - tick.shown_at).total_seconds() if tick else None
    stale_after = STALE_AFTER_INTERVALS * interval + STALE_MARGIN_SECONDS
    alive = age is not None and age <= stale_after
    if not alive:
        status = "stale"
    elif tick.message_id is None:
        status = "empty"
    else:
        status = "ok"
    report = {
        "status": status,
        "last_tick_at": _iso(tick.shown_at) if tick else None,
        "last_tick_age_seconds": round(age, 1) if age is not None else None,
        "interval_seconds": interval,
        "stale_after_seconds": stale_after,
        "message_count": Message.objects.count(),
        "providers": provider_statuses(now),
    }
    return report, alive


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
