"""An in-process index of the message archive, for duplicate checks and random reuse without table scans.

The loop process loads it once (one query over id and content) and then keeps it in step as each tick adds and
prunes messages, so a tick never re-reads the archive from the database. Exact duplicates are a set lookup on
the normalized text; near-duplicates are found by rapidfuzz over only the messages whose length could reach
the threshold at all (``fuzz.ratio`` cannot exceed ``200·min(a, b) / (a + b)``), kept sorted by length so that
band is one bisect away.

In a large archive that band still holds tens of thousands of messages, so a character-count prefilter runs
first (vectorised with numpy): ``fuzz.ratio`` is ``200·LCS / (a + b)``, and a common subsequence can use each
character at most as often as both texts contain it, so ``LCS ≤ Σ min(count_a(c), count_b(c))`` over character
classes (merging characters into classes only loosens the bound). A message whose bound is below the
threshold cannot match and is skipped; the survivors keep their order, so the answer is exactly the one a full
scan of the band gives.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

logger = logging.getLogger(__name__)

#: Bands smaller than this go straight to rapidfuzz: below it the prefilter's fixed cost is not worth it.
PREFILTER_MIN_BAND = 256


def _class_table() -> np.ndarray:
    """Character class of every ASCII code: one per letter, one for space, digits, common and other punctuation."""
    table = np.full(128, 29, dtype=np.intp)  # other ASCII
    for i, letter in enumerate("abcdefghijklmnopqrstuvwxyz"):
        table[ord(letter)] = i
    table[ord(" ")] = 26
    for digit in "0123456789":
        table[ord(digit)] = 27
    for mark in ".,;:!?'\"-":
        table[ord(mark)] = 28
    return table


_ASCII_CLASSES = _class_table()
_NON_ASCII_BASE, _NON_ASCII_CLASSES = 30, 6
#: Columns of a count row: the character classes, then the text's length.
_CLASSES = _NON_ASCII_BASE + _NON_ASCII_CLASSES
_LENGTH = _CLASSES
_COUNT_MAX = np.iinfo(np.uint16).max


def class_counts(text: str) -> np.ndarray:
    """Per-class character counts of ``text`` and its length, as one uint16 row.

    A text too long for uint16 gets the maximum everywhere: its bound is then at least the other text's length
    and the ratio bound at least 100, so the prefilter always keeps it (never a false negative).
    """
    row = np.zeros(_CLASSES + 1, dtype=np.uint16)
    if len(text) > _COUNT_MAX:
        row[:] = _COUNT_MAX
        return row
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    classes = np.where(
        codes < 128, _ASCII_CLASSES[np.minimum(codes, 127)], _NON_ASCII_BASE + codes % _NON_ASCII_CLASSES
    )
    row[:_CLASSES] = np.bincount(classes, minlength=_CLASSES)
    row[_LENGTH] = len(text)
    return row


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
        self._lengths: list[int] = []  # sorted; parallel to _band_texts, _band_ids and _band_slots
        self._band_texts: list[str] = []
        self._band_ids: list[int] = []
        # Prefilter: one count row per message in _counts (by slot; freed slots are reused).
        self._band_slots = np.zeros(0, dtype=np.int32)
        self._counts = np.zeros((0, _CLASSES + 1), dtype=np.uint16)
        self._slot_by_id: dict[int, int] = {}
        self._free_slots: list[int] = []

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
            rows = sorted(rows)
            texts = [normalize(content) for _, content in rows]
            for (message_id, _), text in zip(rows, texts, strict=True):
                self._text_by_id[message_id] = text
                self._ids.append(message_id)
                self._exact.setdefault(text, set()).add(message_id)
            # A stable sort by length: the same order as inserting the rows one by one after equal lengths.
            order = sorted(range(len(rows)), key=lambda i: len(texts[i]))
            self._lengths = [len(texts[i]) for i in order]
            self._band_texts = [texts[i] for i in order]
            self._band_ids = [rows[i][0] for i in order]
            self._counts = np.zeros((max(len(rows), 64), _CLASSES + 1), dtype=np.uint16)
            for slot, text in enumerate(texts):
                self._counts[slot] = class_counts(text)
            self._slot_by_id = {message_id: slot for slot, (message_id, _) in enumerate(rows)}
            self._free_slots = list(range(len(self._counts) - 1, len(rows) - 1, -1))
            self._band_slots = np.fromiter(order, dtype=np.int32, count=len(order))
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
        slot = self._take_slot()
        self._counts[slot] = class_counts(text)
        self._slot_by_id[message_id] = slot
        self._band_slots = np.insert(self._band_slots, pos, slot)

    def _take_slot(self) -> int:
        if not self._free_slots:
            grown = np.zeros((max(64, 2 * len(self._counts)), _CLASSES + 1), dtype=np.uint16)
            grown[: len(self._counts)] = self._counts
            self._free_slots = list(range(len(grown) - 1, len(self._counts) - 1, -1))
            self._counts = grown
        return self._free_slots.pop()

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
                self._band_slots = np.delete(self._band_slots, pos)
                self._free_slots.append(self._slot_by_id.pop(message_id))

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
            if hi - lo < PREFILTER_MIN_BAND:
                positions = range(lo, hi)
                choices = self._band_texts[lo:hi]
            else:
                positions = self._prefilter(text, threshold, lo, hi)
                choices = [self._band_texts[pos] for pos in positions]
            if not choices:
                return None
            match = process.extractOne(text, choices, scorer=fuzz.ratio, processor=None, score_cutoff=threshold)
            if match is None:
                return None
            _, score, offset = match
            return Duplicate(message_id=self._band_ids[positions[offset]], score=float(score))

    def _prefilter(self, text: str, threshold: float, lo: int, hi: int) -> list[int]:
        """Band positions (ascending) whose character-count bound on ``fuzz.ratio`` reaches ``threshold``."""
        query = class_counts(text)
        rows = self._counts[self._band_slots[lo:hi]]
        common = np.minimum(rows[:, :_CLASSES], query[:_CLASSES]).sum(axis=1, dtype=np.int64)
        total = rows[:, _LENGTH].astype(np.int64) + len(text)
        # ratio ≤ 200·common / total; the small margin keeps float rounding from ever dropping a borderline one.
        keep = np.flatnonzero(200.0 * common >= (threshold - 1e-6) * total)
        return (keep + lo).tolist()

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
