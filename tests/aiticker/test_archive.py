"""The in-process archive index: its duplicate answers must equal a brute-force scan of the archive."""

from __future__ import annotations

import random
import string

import pytest
from rapidfuzz import fuzz

from aiticker.archive import ArchiveIndex, length_band, normalize


def _corpus(rng: random.Random, count: int) -> list[str]:
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 7))) for _ in range(60)]
    return [" ".join(rng.choices(words, k=rng.randint(2, 12))) for _ in range(count)]


@pytest.mark.parametrize("threshold", [60, 80, 90, 97])
def test_fuzzy_lookup_finds_exactly_what_a_full_scan_finds(threshold):
    rng = random.Random(threshold)
    corpus = _corpus(rng, 400)
    index = ArchiveIndex()
    index.load(enumerate(corpus, start=1))
    for probe in _corpus(rng, 150) + [c[:-1] for c in corpus[:50]]:
        text = normalize(probe)
        best = max((fuzz.ratio(text, normalize(c)) for c in corpus), default=0)
        found = index.find_duplicate(probe, threshold)
        assert (found is not None) == (best >= threshold), (probe, best)
        if found is not None and not found.exact:
            assert found.score == pytest.approx(best)


def test_length_band_contains_every_length_that_can_reach_the_threshold():
    for length in range(1, 120):
        for threshold in (50, 75, 90, 99):
            low, high = length_band(length, threshold)
            for other in range(1, 300):
                best_possible = 200 * min(length, other) / (length + other)
                assert (low <= other <= high) == (best_possible >= threshold - 1e-9)


def test_exact_duplicates_ignore_case_and_spacing():
    index = ArchiveIndex()
    index.load([(1, "Hello   World")])
    assert index.find_duplicate(" hello world ", 0).message_id == 1
    assert index.find_duplicate("hello world!", 0) is None  # fuzzy off at 0


def test_discard_and_oldest_keep_the_index_consistent():
    index = ArchiveIndex()
    index.load([(3, "three"), (1, "one"), (2, "two"), (4, "one")])
    assert index.oldest(2) == [1, 2] and index.oldest(2, exclude=[1]) == [2, 3]
    index.discard([1])
    assert index.find_duplicate("one", 100).message_id == 4
    index.discard([4, 99])
    assert index.find_duplicate("one", 100) is None and len(index) == 2


def test_pick_never_returns_an_excluded_id():
    index = ArchiveIndex()
    index.load([(i, f"message {i}") for i in range(1, 11)])
    rng = random.Random(5)
    assert {index.pick(rng, exclude=range(1, 10)) for _ in range(20)} == {10}
    assert index.pick(rng, exclude=range(1, 11)) is None
