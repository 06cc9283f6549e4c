"""An in-process index of the message archive, for duplicate checks and random reuse without table scans.

The loop process loads it once (one query over id and content) and then keeps it in step as each tick adds and
prunes messages, so a tick never re-reads the archive from the database. Exact duplicates are a set lookup on
the normalized text; near-duplicates are found by rapidfuzz over only the messages whose length could reach
the threshold at all (``fuzz.ratio`` cannot exceed ``200·min(a, b) / (a + b)``), kept sorted by length so that
band is one bisect away.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

logger = logging.getLogger(__name__)


def normalize(text: str) -> str:
    """The form duplicates are compared in: case and whitespace differences do not make a message new."""
    return " ".join(text.casefold().split())


def length_band(length: int, threshold: float) -> tuple[int, int]:
    """Lengths a string may have to reach ``threshold`` (0–100] in ``fuzz.ratio`` against one of ``length``."""
    t = min(max(threshold, 1e-9), 100.0)
    return math.ceil(length * t / (200.0 - t) - 1e-9), math.floor(length * (200.0 - t) / t + 1e-9)


@dataclass(frozen=True)
class Duplicate:
    message_id: int
    score: float

    @property
    def exact(self) -> bool:
        return self.score >= 100.0


class ArchiveIndex:
    """Normalized texts of the archived messages, by id, by exact text and sorted by length."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.loaded = False
        self._clear()

    def _clear(self) -> None:
        self._text_by_id: dict[int, str] = {}
        self._ids: list[int] = []  # ascending, i.e. oldest first
        self._exact: dict[str, set[int]] = {}
        self._lengths: list[int] = []  # sorted; parallel to _band_texts and _band_ids
        self._band_texts: list[str] = []
        self._band_ids: list[int] = []

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, message_id: int) -> bool:
        return message_id in self._text_by_id

    @property
    def ids(self) -> list[int]:
        """Archived message ids, oldest first (a copy)."""
        return list(self._ids)

    def load(self, rows: Iterable[tuple[int, str]]) -> None:
        """Replace the index with ``(id, content)`` rows."""
        with self._lock:
            self._clear()
            for message_id, content in sorted(rows):
                self._add(message_id, content)
            self.loaded = True

    def invalidate(self) -> None:
        """Forget everything; the next user reloads from the database (another process may have ticked)."""
        with self._lock:
            self._clear()
            self.loaded = False

    def add(self, message_id: int, content: str) -> None:
        with self._lock:
            if message_id not in self._text_by_id:
                self._add(message_id, content)

    def _add(self, message_id: int, content: str) -> None:
        text = normalize(content)
        self._text_by_id[message_id] = text
        if not self._ids or message_id > self._ids[-1]:
            self._ids.append(message_id)
        else:
            bisect.insort(self._ids, message_id)
        self._exact.setdefault(text, set()).add(message_id)
        pos = bisect.bisect_right(self._lengths, len(text))
        self._lengths.insert(pos, len(text))
        self._band_texts.insert(pos, text)
        self._band_ids.insert(pos, message_id)

    def discard(self, message_ids: Iterable[int]) -> None:
        with self._lock:
            for message_id in message_ids:
                text = self._text_by_id.pop(message_id, None)
                if text is None:
                    continue
                self._ids.pop(bisect.bisect_left(self._ids, message_id))
                same = self._exact.get(text)
                if same is not None:
                    same.discard(message_id)
                    if not same:
                        del self._exact[text]
                lo = bisect.bisect_left(self._lengths, len(text))
                hi = bisect.bisect_right(self._lengths, len(text))
                pos = self._band_ids.index(message_id, lo, hi)
                del self._lengths[pos], self._band_texts[pos], self._band_ids[pos]

    def oldest(self, count: int, exclude: Iterable[int] = ()) -> list[int]:
        """The ``count`` oldest ids, skipping ``exclude`` (the message on screen is never pruned)."""
        skip = set(exclude)
        result: list[int] = []
        for message_id in self._ids:
            if len(result) >= count:
                break
            if message_id not in skip:
                result.append(message_id)
        return result

    def find_duplicate(self, content: str, threshold: float) -> Duplicate | None:
        """The archived message ``content`` duplicates, if any.

        ``threshold`` is the rapidfuzz ratio (0–100) from which two messages count as the same; 0 turns
        near-duplicate detection off and leaves the exact check.
        """
        text = normalize(content)
        with self._lock:
            same = self._exact.get(text)
            if same:
                return Duplicate(message_id=max(same), score=100.0)
            if threshold <= 0 or threshold >= 100 or not self._lengths:
                return None
            low, high = length_band(len(text), threshold)
            lo = bisect.bisect_left(self._lengths, low)
            hi = bisect.bisect_right(self._lengths, high)
            if lo >= hi:
                return None
            match = process.extractOne(
                text, self._band_texts[lo:hi], scorer=fuzz.ratio, processor=None, score_cutoff=threshold
            )
            if match is None:
                return None
            _, score, offset = match
            return Duplicate(message_id=self._band_ids[lo + offset], score=float(score))

    def pick(self, rng, exclude: Iterable[int] = ()) -> int | None:
        """A uniformly random archived id not in ``exclude``, or None when every message is excluded."""
        skip = set(exclude)
        with self._lock:
            if len(self._ids) <= len(skip):
                pool = [i for i in self._ids if i not in skip]
                return rng.choice(pool) if pool else None
            # Rejection sampling: ``exclude`` is small next to the archive, so this ends after a few draws.
            for _ in range(64):
                candidate = self._ids[rng.randrange(len(self._ids))]
                if candidate not in skip:
                    return candidate
            pool = [i for i in self._ids if i not in skip]
            return rng.choice(pool) if pool else None


#: The loop process's index. The web processes never use it.
archive_index = ArchiveIndex()
