"""One tick of the ticker: choose or generate the next message and make it the current one.

The flow is DESIGN.md's "Flow of one tick". Provider calls happen outside any transaction (a slow HTTP call
must not hold SQLite's write lock); everything the tick produced is then stored in one short transaction, so
a process killed at any point leaves either the whole tick or none of it.
"""

from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from providers import runtime

from .archive import ArchiveIndex, archive_index
from .lease import Lease
from .models import Message, PromptProfile, Tick, TickerSettings

logger = logging.getLogger(__name__)

#: Used when no profile exists at all (all deleted by hand): the ticker still asks for something sensible.
FALLBACK_SYSTEM_PROMPT = "Reply with one short, friendly message for a public ticker screen. No preamble."
FALLBACK_USER_PROMPT = "Write the next ticker message."

# C0/C1 control characters other than tab and newline: PostgreSQL refuses NUL and the rest only break layouts.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class TickResult:
    """What a tick did, for the loop's log line and for tests."""

    tick: Tick
    message: Message | None
    source: str
    provider_name: str = ""
    latency_ms: int | None = None
    detail: str = ""
    outcomes: list = field(default_factory=list)

    def describe(self) -> str:
        """One log line with the facts an operator needs."""
        parts = [f"tick={self.tick.pk}", f"source={self.source}"]
        if self.message is not None:
            parts.append(f"message={self.message.pk}")
        if self.provider_name:
            parts.append(f"provider={self.provider_name}")
        if self.latency_ms is not None:
            parts.append(f"latency_ms={self.latency_ms}")
        parts.append(f"attempts={len(self.outcomes)}")
        parts.append(f"duration_ms={self.tick.duration_ms}")
        if self.detail:
            parts.append(f"detail={self.detail!r}")
        return " ".join(parts)


def clean_content(text: str | None, limit: int | None = None) -> str:
    """Strip an answer and cap it at ``limit`` characters, cutting at a word boundary with an ellipsis."""
    limit = limit or settings.AITICKER_MAX_MESSAGE_LENGTH
    text = _CONTROL_CHARS.sub("", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = cut.rstrip().rfind(" ")
    if boundary > limit // 2:
        cut = cut[:boundary]
    return cut.rstrip() + "…"


def ensure_archive_loaded(index: ArchiveIndex = archive_index) -> ArchiveIndex:
    """Load the archive index on first use (one query); afterwards the engine keeps it current."""
    if not index.loaded:
        index.load(Message.objects.values_list("id", "content").iterator(chunk_size=5000))
        logger.debug("Archive index loaded: %d messages", len(index))
    return index


def recently_shown_ids(limit: int) -> list[int]:
    """Ids of the messages on the last ``limit`` displays (newest first)."""
    return list(Tick.objects.filter(message__isnull=False).order_by("-id").values_list("message_id", flat=True)[:limit])


def _fetch_message(index: ArchiveIndex, message_id: int | None) -> Message | None:
    if message_id is None:
        return None
    message = Message.objects.filter(pk=message_id).first()
    if message is None:  # deleted in the admin since the index was loaded
        index.discard([message_id])
    return message


def _pick_archived(index: ArchiveIndex, rng: random.Random, exclude: list[int]) -> Message | None:
    for _ in range(3):
        message = _fetch_message(index, index.pick(rng, exclude))
        if message is not None:
            return message
    return None


def run_tick(
    *,
    rng: random.Random | None = None,
    now: datetime | None = None,
    lease: Lease | None = None,
    index: ArchiveIndex | None = None,
    interval: float | None = None,
) -> TickResult:
    """Run one tick and store it. Never raises for provider problems; database errors propagate to the loop.

    ``rng`` makes the reuse decision and choice deterministic in tests; ``lease``, when given, is renewed in the
    storing transaction and the tick is dropped (``LeaseLost``) if another process took it over meanwhile.
    ``interval`` is the loop's own (it may override the setting) and is stored so readers know when the next
    tick is due.
    """
    rng = rng or random.Random()
    started_at = now or timezone.now()
    clock = time.perf_counter()
    index = ensure_archive_loaded(index or archive_index)

    config = TickerSettings.load()
    profile = PromptProfile.objects.active()
    system_prompt = profile.system_prompt if profile else FALLBACK_SYSTEM_PROMPT
    user_prompt = profile.user_prompt if profile else FALLBACK_USER_PROMPT
    recent: list[int] | None = None

    def recent_ids() -> list[int]:
        # Read only when an archived message may be shown: a fresh tick (the common case) skips the query.
        nonlocal recent
        if recent is None:
            recent = recently_shown_ids(config.recent_limit)
        return recent

    shown: Message | None = None
    fresh: Message | None = None
    source = Tick.Source.NONE
    provider_name = ""
    latency_ms: int | None = None
    reasons: list[str] = []
    outcomes: list = []

    if len(index) and rng.random() < config.reuse_probability:
        shown = _pick_archived(index, rng, recent_ids())
        if shown is not None:
            source = Tick.Source.REUSED

    if shown is None:
        fresh, provider_name, latency_ms = _generate_fresh(
            system_prompt, user_prompt, config, index, outcomes, reasons, started_at
        )
        if fresh is not None:
            fresh.prompt_profile = profile
            shown, source = fresh, Tick.Source.FRESH

    if shown is None:
        # Prefer a message not shown lately; with a tiny archive, anything but the current one; else keep it.
        shown = (
            _pick_archived(index, rng, recent_ids())
            or _pick_archived(index, rng, recent_ids()[:1])
            or _pick_archived(index, rng, [])
        )
        if shown is not None:
            source = Tick.Source.ARCHIVE
        else:
            reasons.insert(0, "no message yet: the archive is empty")

    detail = "; ".join(reasons)[:2000]
    with transaction.atomic():
        if lease is not None:
            lease.ensure_held()
        if fresh is not None:
            fresh.save()
        tick = Tick.objects.create(
            started_at=started_at,
            shown_at=timezone.now(),
            message=shown,
            source=source,
            detail=detail,
            duration_ms=int((time.perf_counter() - clock) * 1000),
            interval_seconds=interval,
        )
        if outcomes:
            attempts = runtime.record_outcomes(outcomes)
            tick.attempts.add(*[a for a in attempts if a.pk is not None])
        pruned = _prune(config, index, tick, shown, fresh)

    # Only after the commit: a rolled-back tick must leave the index as the database is.
    if fresh is not None:
        index.add(fresh.pk, fresh.content)
    index.discard(pruned)
    return TickResult(
        tick=tick,
        message=shown,
        source=source,
        provider_name=provider_name if source == Tick.Source.FRESH else (shown.provider_name if shown else ""),
        latency_ms=latency_ms if source == Tick.Source.FRESH else None,
        detail=detail,
        outcomes=outcomes,
    )


def _generate_fresh(system_prompt, user_prompt, config, index, outcomes, reasons, now):
    """Walk the eligible providers in order; the first usable, non-duplicate answer becomes a new Message."""
    try:
        providers = runtime.eligible_providers(now=now)
    except Exception:  # a broken provider configuration must not end the tick
        logger.exception("Listing the eligible providers failed")
        reasons.append("listing the providers failed")
        return None, "", None
    if not providers:
        reasons.append("no eligible provider (none enabled, or every circuit is open)")
        return None, "", None

    for provider in providers:
        try:
            outcome = runtime.generate(provider, system_prompt, user_prompt)
        except Exception as exc:  # the runtime catches provider errors; this guards against its own bugs
            logger.exception("Generating with provider %s failed unexpectedly", provider.name)
            reasons.append(f"{provider.name}: {type(exc).__name__}")
            continue
        outcomes.append(outcome)
        if not outcome.ok or outcome.response is None:
            reasons.append(f"{provider.name}: {outcome.error_kind or 'failed'}")
            continue
        content = clean_content(outcome.response.content)
        if not content:
            reasons.append(f"{provider.name}: empty answer")
            continue
        duplicate = index.find_duplicate(content, config.fuzzy_threshold)
        if duplicate is not None:
            kind = "exact duplicate" if duplicate.exact else f"near-duplicate ({duplicate.score:.0f}%)"
            reasons.append(f"{provider.name}: {kind} of message #{duplicate.message_id}")
            continue
        response = outcome.response
        message = Message(
            content=content,
            provider=provider,
            provider_name=provider.name,
            model_name=(response.model or provider.model or "")[:200],
            tokens=response.total_tokens,
            latency_ms=outcome.latency_ms,
        )
        return message, provider.name, outcome.latency_ms
    return None, "", None


def _prune(config: TickerSettings, index: ArchiveIndex, tick: Tick, shown: Message | None, fresh) -> list[int]:
    """Keep the archive to ``archive_limit`` messages, oldest first, never the one just shown.

    Display records are kept as long as the archive (at least ``recent_limit``), so recent-avoidance still
    sees them; those of pruned messages go with their messages.
    """
    count = len(index) + (1 if fresh is not None else 0)
    pruned: list[int] = []
    if count > config.archive_limit:
        keep = {shown.pk} if shown is not None else set()
        pruned = index.oldest(count - config.archive_limit, exclude=keep)
        if pruned:
            Message.objects.filter(pk__in=pruned).delete()
    keep_ticks = max(config.archive_limit, config.recent_limit)
    if tick.pk > keep_ticks:
        Tick.objects.filter(pk__lte=tick.pk - keep_ticks).delete()
    return pruned
