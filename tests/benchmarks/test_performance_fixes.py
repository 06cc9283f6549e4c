"""The performance fixes the benchmarks led to change nothing a user can see.

* the archive index's character-count prefilter never drops a message ``fuzz.ratio`` would match: its answer
  equals a brute-force scan of the whole archive;
* provider calls reuse worker threads, yet a call stuck past its deadline still cannot delay the next one;
* a fresh tick reads the recently shown messages only when it needs them, and a successful call updates its
  provider without reading it first (counted in SQL statements, not in time).
"""

from __future__ import annotations

import random
import threading
import time

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rapidfuzz import fuzz, process

from aiticker.archive import PREFILTER_MIN_BAND, ArchiveIndex, class_counts, normalize
from aiticker.engine import run_tick
from benchmarks.harness import TextSource
from providers import runtime


def mutate(text: str, rng: random.Random, edits: int) -> str:
    """``text`` with ``edits`` random single-character insertions, deletions or substitutions."""
    chars = list(text)
    for _ in range(edits):
        position = rng.randrange(len(chars) + 1)
        kind = rng.choice("ids")
        if kind == "i":
            chars.insert(position, rng.choice("abcdefghij étü!?"))
        elif chars and position < len(chars):
            if kind == "d":
                del chars[position]
            else:
                chars[position] = rng.choice("klmnopqrstuvwxyz 0123")
    return "".join(chars)


def brute_force(texts: dict[int, str], query: str, threshold: float):
    """What the index must answer: the best match over every archived text (ids ascending, first best wins)."""
    ids = sorted(texts)
    match = process.extractOne(
        normalize(query), [normalize(texts[i]) for i in ids], scorer=fuzz.ratio, processor=None, score_cutoff=threshold
    )
    return None if match is None else match[1]


@pytest.mark.parametrize("threshold", [60.0, 80.0, 90.0, 97.0])
def test_prefilter_finds_every_near_duplicate_a_full_scan_finds(threshold):
    rng = random.Random(int(threshold))
    source = TextSource(seed=int(threshold))
    texts = {i: source.sentence() for i in range(1, 3001)}
    index = ArchiveIndex()
    index.load(texts.items())
    max_edits = int(100 - threshold) + 3  # enough to cross the threshold both ways
    queries = [mutate(texts[rng.randrange(1, 3001)], rng, rng.randrange(0, max_edits)) for _ in range(150)]
    queries += [source.sentence() for _ in range(50)]

    found = 0
    for query in queries:
        expected = brute_force(texts, query, threshold)
        duplicate = index.find_duplicate(query, threshold)
        if expected is None:
            assert duplicate is None, query
        else:
            found += 1
            assert duplicate is not None, query
            assert duplicate.score == pytest.approx(expected)
            assert fuzz.ratio(normalize(query), normalize(texts[duplicate.message_id])) == pytest.approx(expected)
    assert found >= 50, "the queries must include real near-duplicates"
    assert len(texts) > PREFILTER_MIN_BAND, "the band is large enough for the prefilter to run"


def test_prefilter_keeps_up_with_added_and_discarded_messages():
    source = TextSource(seed=42)
    index = ArchiveIndex()
    index.load((i, source.sentence()) for i in range(1, 1001))
    newcomer = source.sentence()
    index.add(5000, newcomer)

    assert index.find_duplicate(newcomer + "!", 90.0).message_id == 5000
    index.discard([5000])
    assert index.find_duplicate(newcomer + "!", 90.0) is None
    for i in range(6000, 7000):  # grows the count table past its first capacity and reuses freed slots
        index.add(i, source.sentence())
    again = source.sentence()
    index.add(7001, again)
    assert index.find_duplicate(again, 90.0).message_id == 7001


def test_class_counts_bound_the_longest_common_subsequence_for_any_text():
    rng = random.Random(7)
    alphabet = "abcxyz ÄéЖ中😀0!?-"
    for _ in range(300):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60)))
        b = mutate(a, rng, rng.randrange(0, 10)) or "x"
        counts_a, counts_b = class_counts(a).astype(int), class_counts(b).astype(int)
        assert (counts_a[-1], counts_b[-1]) == (len(a), len(b)), "the last column is the length"
        common = np.minimum(counts_a[:-1], counts_b[:-1]).sum()
        # ratio = 200·LCS/(len a + len b); the prefilter keeps b whenever the true ratio could be reached.
        assert 200 * common / (len(a) + len(b)) >= fuzz.ratio(a, b) - 1e-9


def test_provider_calls_reuse_a_worker_thread():
    names: list[int] = []
    for _ in range(5):
        runtime._run_with_deadline(lambda: names.append(threading.get_ident()), 5)

    assert len(set(names)) == 1


def test_a_call_stuck_past_its_deadline_does_not_delay_the_next_one():
    release = threading.Event()
    with pytest.raises(runtime._DeadlineExceeded):
        runtime._run_with_deadline(release.wait, 0.2)
    try:
        started = time.monotonic()
        assert runtime._run_with_deadline(lambda: "next", 5) == "next"
        assert time.monotonic() - started < 2, "the next call must not wait for the stuck one"
    finally:
        release.set()


def test_errors_raised_in_the_worker_reach_the_caller():
    def boom():
        raise ValueError("from the plugin")

    with pytest.raises(ValueError, match="from the plugin"):
        runtime._run_with_deadline(boom, 5)


@pytest.mark.django_db
def test_a_fresh_tick_skips_the_recent_displays_query_and_the_provider_read(scripted_provider):
    scripted_provider(reply="Something entirely new for the screen.")

    with CaptureQueriesContext(connection) as captured:
        result = run_tick()

    assert result.source == "fresh"
    statements = [q["sql"] for q in captured.captured_queries]
    assert not any('"aiticker_tick"."message_id" IS NOT NULL' in sql for sql in statements)
    assert not any(sql.startswith('SELECT "providers_provider"."consecutive_failures"') for sql in statements)


@pytest.mark.django_db
def test_a_failed_call_still_counts_towards_the_circuit(scripted_provider):
    provider = scripted_provider(fail=True)

    run_tick()
    run_tick()

    provider.refresh_from_db()
    assert provider.consecutive_failures == 2
