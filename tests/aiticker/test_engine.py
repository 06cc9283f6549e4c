"""The tick engine, as DESIGN.md's "Flow of one tick" describes it."""

from __future__ import annotations

import random

import pytest
from django.test import override_settings

from aiticker import engine
from aiticker.archive import archive_index
from aiticker.engine import clean_content, run_tick
from aiticker.lease import Lease, LeaseLost
from aiticker.models import Message, PromptProfile, Tick
from providers.models import Attempt

from . import fakes
from .conftest import DISTINCT, show

pytestmark = pytest.mark.django_db


def test_first_usable_answer_becomes_the_current_message(make_provider, ticker_settings, rng):
    provider = make_provider("alpha", reply="Octopuses have three hearts.")

    result = run_tick(rng=rng)

    message = Message.objects.get()
    assert result.source == Tick.Source.FRESH and result.message == message
    assert message.content == "Octopuses have three hearts."
    assert (message.provider, message.provider_name, message.model_name) == (provider, "alpha", "scripted-1")
    assert message.tokens == 12 and message.latency_ms is not None
    assert message.prompt_profile == PromptProfile.objects.get(active=True)
    tick = Tick.objects.get()
    assert tick.message == message and tick.source == "fresh"
    assert list(tick.attempts.values_list("provider_name", "ok")) == [("alpha", True)]


def test_the_active_profiles_prompts_are_sent(make_provider, ticker_settings, rng):
    make_provider("alpha")
    PromptProfile.objects.create(name="Pirate", system_prompt="Talk like a pirate.", user_prompt="Ahoy?", active=True)

    run_tick(rng=rng)

    assert fakes.CALLS == [("alpha", "Talk like a pirate.", "Ahoy?")]


def test_a_failing_provider_is_one_failed_attempt_and_the_next_one_answers(make_provider, ticker_settings, rng):
    make_provider("broken", priority=1, fail=True)
    make_provider("backup", priority=2, reply="Backup speaking.")

    result = run_tick(rng=rng)

    assert result.message.content == "Backup speaking." and result.provider_name == "backup"
    attempts = result.tick.attempts.order_by("id")
    assert [(a.provider_name, a.ok, a.error_kind) for a in attempts] == [
        ("broken", False, "server_error"),
        ("backup", True, ""),
    ]
    assert "broken: server_error" in result.tick.detail


def test_a_provider_raising_inside_generate_message_does_not_break_the_tick(make_provider, ticker_settings, rng):
    make_provider("explosive", priority=1, **{"raise": True})
    make_provider("calm", priority=2, reply="All is well.")

    result = run_tick(rng=rng)

    assert result.source == Tick.Source.FRESH and result.message.content == "All is well."
    failed = Attempt.objects.get(provider_name="explosive")
    assert not failed.ok and failed.error_kind == "exception" and "blew up" in failed.error


def test_an_exact_duplicate_is_rejected_and_the_next_provider_is_used(make_provider, ticker_settings, archive, rng):
    (old,) = archive("Bananas are berries.")
    make_provider("repeater", priority=1, reply="  BANANAS are   berries. ")
    make_provider("novel", priority=2, reply="Strawberries are not berries.")

    result = run_tick(rng=rng)

    assert result.message.content == "Strawberries are not berries."
    assert f"repeater: exact duplicate of message #{old.pk}" in result.tick.detail
    assert Message.objects.count() == 2
    # The duplicate call itself worked: it is recorded as a successful attempt of this tick.
    assert result.tick.attempts.filter(provider_name="repeater", ok=True).exists()


def test_a_near_duplicate_is_rejected_by_the_fuzzy_threshold(make_provider, ticker_settings, archive, rng):
    ticker_settings(fuzzy_threshold=90)
    (old,) = archive("The Eiffel Tower grows about 15 cm taller on hot summer days.")
    make_provider("echo", priority=1, reply="The Eiffel Tower grows about 15 cm taller on hot summer days!")
    make_provider("fresh", priority=2, reply="Koalas sleep up to 22 hours a day.")

    result = run_tick(rng=rng)

    assert result.message.content == "Koalas sleep up to 22 hours a day."
    assert "echo: near-duplicate" in result.tick.detail and f"#{old.pk}" in result.tick.detail


def test_a_similar_answer_below_the_threshold_is_accepted(make_provider, ticker_settings, archive, rng):
    ticker_settings(fuzzy_threshold=95)
    archive("The Eiffel Tower grows about 15 cm taller on hot summer days.")
    make_provider("close", reply="The Eiffel Tower shrinks a little on cold winter nights.")

    assert run_tick(rng=rng).source == Tick.Source.FRESH


def test_all_providers_failing_shows_an_archived_message(make_provider, ticker_settings, archive, rng):
    older, current = archive("An older message.", "The current message.")
    show(older, current)
    make_provider("down1", priority=1, fail=True)
    make_provider("down2", priority=2, fail=True)

    result = run_tick(rng=rng)

    assert result.source == Tick.Source.ARCHIVE
    assert result.message == older  # anything but the message already on screen
    assert "down1: server_error" in result.tick.detail and "down2: server_error" in result.tick.detail
    assert result.tick.attempts.count() == 2
    assert Message.objects.count() == 2


def test_all_duplicates_fall_back_to_the_archive(make_provider, ticker_settings, archive, rng):
    (only,) = archive("The only message.")
    make_provider("parrot", reply="The only message.")

    result = run_tick(rng=rng)

    assert result.source == Tick.Source.ARCHIVE and result.message == only
    assert "exact duplicate" in result.tick.detail


def test_empty_archive_and_no_answer_gives_the_no_message_state(make_provider, ticker_settings, rng):
    make_provider("down", fail=True)

    result = run_tick(rng=rng)

    assert result.source == Tick.Source.NONE and result.message is None
    assert result.tick.detail.startswith("no message yet")
    assert Tick.objects.get().message is None


def test_no_provider_at_all_is_explained(ticker_settings, rng):
    result = run_tick(rng=rng)

    assert result.source == Tick.Source.NONE
    assert "no eligible provider" in result.tick.detail


def test_reuse_is_decided_by_the_injected_randomness(make_provider, ticker_settings, archive):
    ticker_settings(reuse_probability=0.5, recent_limit=1)
    archive(*[f"Archived {i}: " + "xyzw"[i % 4] * (i + 3) for i in range(20)])
    make_provider("alpha", replies=DISTINCT)

    first = [(r.source, r.message.content) for r in (run_tick(rng=random.Random(s)) for s in range(8))]
    Tick.objects.all().delete()
    Message.objects.exclude(content__startswith="Archived").delete()
    archive_index.invalidate()
    again = [(r.source, r.message.content) for r in (run_tick(rng=random.Random(s)) for s in range(8))]

    reused = [s for s, _ in first if s == Tick.Source.REUSED]
    assert 0 < len(reused) < len(first), "probability 0.5 over 8 seeds gives a mix"
    assert [s for s, _ in first] == [s for s, _ in again]
    assert [c for s, c in first if s == "reused"] == [c for s, c in again if s == "reused"]


def test_reuse_never_calls_a_provider(make_provider, ticker_settings, archive, rng):
    ticker_settings(reuse_probability=1.0)
    archive("One", "Two", "Three")
    make_provider("alpha")

    result = run_tick(rng=rng)

    assert result.source == Tick.Source.REUSED and fakes.CALLS == []
    assert result.tick.attempts.count() == 0


def test_reuse_avoids_the_recently_shown_messages(make_provider, ticker_settings, archive):
    ticker_settings(reuse_probability=1.0, recent_limit=4)
    messages = archive("m1", "m2", "m3", "m4", "m5")
    show(*messages[1:])  # m2..m5 are the last four shown

    assert run_tick(rng=random.Random(0)).message.content == "m1"

    for seed in range(10):
        recent = set(
            Tick.objects.filter(message__isnull=False).order_by("-id").values_list("message_id", flat=True)[:4]
        )
        result = run_tick(rng=random.Random(seed))
        assert result.message.pk not in recent


def test_reuse_probability_zero_always_asks_the_providers(make_provider, ticker_settings, archive, rng):
    archive("Old one", "Old two")
    make_provider("alpha", replies=DISTINCT)

    assert {run_tick(rng=rng).source for _ in range(5)} == {Tick.Source.FRESH}


def test_archive_is_pruned_to_the_limit_oldest_first(make_provider, ticker_settings, rng):
    ticker_settings(archive_limit=3)
    make_provider("alpha", replies=DISTINCT)

    results = [run_tick(rng=rng) for _ in range(5)]

    kept = list(Message.objects.order_by("id").values_list("content", flat=True))
    assert kept == [r.message.content for r in results[-3:]]
    assert len(archive_index) == 3


def test_pruning_never_removes_the_message_on_screen(make_provider, ticker_settings, archive):
    ticker_settings(archive_limit=1, reuse_probability=1.0, recent_limit=2)
    oldest, middle, newest = archive("Oldest", "Middle", "Newest")
    show(middle, newest)  # reuse must now pick the oldest, which pruning would otherwise delete first

    result = run_tick(rng=random.Random(3))

    assert result.message == oldest
    assert list(Message.objects.all()) == [oldest]
    assert Tick.objects.get().message == oldest  # displays of pruned messages went with them


def test_long_answers_are_capped_at_a_word_boundary(make_provider, ticker_settings, rng):
    make_provider("verbose", reply="word " * 100)

    with override_settings(AITICKER_MAX_MESSAGE_LENGTH=52):
        result = run_tick(rng=rng)

    content = result.message.content
    assert len(content) <= 52 and content.endswith("word…")


def test_clean_content_strips_control_characters_and_whitespace():
    assert clean_content("  \x00Hello\x07 world\u202e!  \n") == "Hello world\u202e!"
    assert clean_content("x" * 30, limit=10) == "x" * 9 + "…"


def test_a_failure_while_storing_leaves_no_partial_tick(make_provider, ticker_settings, rng, monkeypatch):
    make_provider("alpha", reply="Never stored.")

    def broken_prune(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine, "_prune", broken_prune)
    with pytest.raises(RuntimeError):
        run_tick(rng=rng)

    assert Message.objects.count() == 0 and Tick.objects.count() == 0 and Attempt.objects.count() == 0
    assert len(archive_index) == 0  # the index follows the database, not the rolled-back tick


def test_a_lost_lease_drops_the_tick(make_provider, ticker_settings, rng):
    make_provider("alpha", reply="From a stale holder.")
    mine, theirs = Lease(ttl_seconds=60, holder="me"), Lease(ttl_seconds=60, holder="them")
    assert theirs.acquire()

    with pytest.raises(LeaseLost):
        run_tick(rng=rng, lease=mine)

    assert Message.objects.count() == 0 and Tick.objects.count() == 0


def test_display_history_is_bounded(make_provider, ticker_settings, archive, rng):
    ticker_settings(archive_limit=3, recent_limit=2, reuse_probability=1.0)
    archive("a1", "a2", "a3")

    for _ in range(8):
        run_tick(rng=rng)

    assert Tick.objects.count() <= 3


def test_deleting_a_provider_keeps_its_messages_and_their_attribution(make_provider, ticker_settings, client):
    provider = make_provider("soon gone", reply="Written before the provider was deleted.")
    run_tick()

    provider.delete()

    message = Message.objects.get()
    assert (message.provider_id, message.provider_name) == (None, "soon gone")
    assert client.get("/api/ticker/").json()["provider"] == "soon gone"
