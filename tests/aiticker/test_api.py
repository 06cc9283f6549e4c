"""The REST API: the current message (public, cached), health (public), the message archive (staff)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from aiticker.engine import run_tick
from aiticker.models import Message, PromptProfile, Tick

from .conftest import DISTINCT, show

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    cache.clear()  # throttle counters
    return APIClient()


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_user("staff", password="pw-staff-123", is_staff=True)
    client.force_authenticate(user)
    return client


def test_ticker_without_any_tick_is_the_empty_state_with_200(client, ticker_settings):
    response = client.get("/api/ticker/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "empty" and body["content"] is None and body["message_id"] is None


def test_ticker_serves_the_current_message(client, make_provider, ticker_settings):
    ticker_settings(interval_seconds=30)
    make_provider("alpha", reply="Sharks existed before trees did.")
    tick = run_tick(rng=random.Random(1)).tick

    body = client.get("/api/ticker").json()  # both slash spellings

    assert body["state"] == "ok" and body["content"] == "Sharks existed before trees did."
    assert (body["provider"], body["model"], body["source"]) == ("alpha", "scripted-1", "fresh")
    assert body["message_id"] == tick.message_id
    shown = tick.shown_at
    assert body["shown_at"].startswith(shown.strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["next_tick_at"].startswith((shown + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S"))


def test_ticker_is_served_from_cache_with_one_query(client, make_provider, ticker_settings, django_assert_num_queries):
    make_provider("alpha", reply="Cached.")
    run_tick(rng=random.Random(1))
    client.get("/api/ticker/")  # warms the cache

    with django_assert_num_queries(1):  # only "what is the latest tick id?"
        assert client.get("/api/ticker/").json()["content"] == "Cached."


def test_ticker_cold_cache_query_count_is_bounded(
    client, make_provider, ticker_settings, django_assert_max_num_queries
):
    make_provider("alpha", reply="Cold.")
    run_tick(rng=random.Random(1))
    with django_assert_max_num_queries(3):
        client.get("/api/ticker/")


def test_a_new_tick_invalidates_the_cached_payload(client, make_provider, ticker_settings):
    make_provider("alpha", replies=DISTINCT)
    run_tick(rng=random.Random(1))
    first = client.get("/api/ticker/").json()

    run_tick(rng=random.Random(1))
    second = client.get("/api/ticker/").json()

    assert first["content"] == DISTINCT[0] and second["content"] == DISTINCT[1]


def test_deleting_the_current_message_shows_the_previous_one(client, ticker_settings, archive):
    older, current = archive("The previous one.", "Offensive text.")
    show(older, current)
    assert client.get("/api/ticker/").json()["content"] == "Offensive text."

    current.delete()

    assert client.get("/api/ticker/").json()["content"] == "The previous one."


def test_public_endpoints_are_throttled(client, ticker_settings, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "2/min"})
    statuses = [client.get("/api/ticker/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_health_is_503_before_the_loop_ever_ticked(client, ticker_settings):
    response = client.get("/api/health/")
    assert response.status_code == 503 and response.json()["status"] == "stale"


def test_health_reports_the_loop_messages_and_providers(client, make_provider, ticker_settings):
    make_provider("alpha", reply="Healthy.")
    down = make_provider("beta", fail=True, priority=200)
    down.api_key = "sk-canary-health-0000"
    down.save()
    run_tick(rng=random.Random(1))

    response = client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["message_count"] == 1 and body["last_tick_age_seconds"] < 60
    by_name = {p["name"]: p for p in body["providers"]}
    assert by_name["alpha"]["health"] == "healthy" and by_name["alpha"]["circuit"] == "closed"
    assert by_name["beta"]["health"] == "unknown"
    assert "sk-canary" not in response.content.decode()


def test_health_is_empty_while_ticking_without_messages(client, ticker_settings):
    run_tick(rng=random.Random(1))  # no provider, empty archive
    response = client.get("/api/health/")
    assert response.status_code == 200 and response.json()["status"] == "empty"


def test_health_goes_stale_when_the_loop_stops(client, make_provider, ticker_settings):
    ticker_settings(interval_seconds=10)
    make_provider("alpha", reply="Old news.")
    tick = run_tick(rng=random.Random(1)).tick
    Tick.objects.filter(pk=tick.pk).update(shown_at=timezone.now() - timedelta(seconds=3 * 10 + 31))

    response = client.get("/api/health/")

    assert response.status_code == 503 and response.json()["status"] == "stale"


def test_health_shows_circuit_states(client, make_provider, ticker_settings, archive):
    open_one = make_provider("open-one", priority=1)
    trial = make_provider("trial", priority=2)
    make_provider("closed-one", priority=3)
    open_one.circuit_open_until = timezone.now() + timedelta(minutes=5)
    open_one.save()
    trial.circuit_open_until = timezone.now() - timedelta(seconds=1)
    trial.save()
    show(*archive("on screen"))

    body = client.get("/api/health/").json()

    assert [(p["name"], p["circuit"]) for p in body["providers"]] == [
        ("open-one", "open"),
        ("trial", "half-open"),
        ("closed-one", "closed"),
    ]


def test_messages_require_staff(client, ticker_settings):
    assert client.get("/api/messages/").status_code in (401, 403)
    user = get_user_model().objects.create_user("plain", password="pw-plain-123")
    client.force_authenticate(user)
    assert client.get("/api/messages/").status_code == 403


def test_messages_list_is_paginated_newest_first(staff_client, archive):
    archive("first", "second", "third")
    body = staff_client.get("/api/messages/").json()
    assert body["count"] == 3 and [m["content"] for m in body["results"]] == ["third", "second", "first"]
    assert {"id", "content", "provider", "model", "profile", "tokens", "latency_ms", "created_at"} <= set(
        body["results"][0]
    )


def test_messages_filters(staff_client, ticker_settings):
    profile = PromptProfile.objects.get(name="Haiku")
    now = timezone.now()
    a = Message.objects.create(content="from a", provider_name="Alpha", prompt_profile=profile)
    b = Message.objects.create(content="from b", provider_name="Beta", created_at=now - timedelta(days=3))
    Tick.objects.create(started_at=now, message=a, source=Tick.Source.REUSED)
    Tick.objects.create(started_at=now, message=b, source=Tick.Source.FRESH)

    def contents(query):
        response = staff_client.get("/api/messages/", query)
        assert response.status_code == 200, response.content
        return [m["content"] for m in response.json()["results"]]

    assert contents({"provider": "alpha"}) == ["from a"]
    assert contents({"profile": "Haiku"}) == ["from a"]
    assert contents({"source": "fresh"}) == ["from b"]
    assert contents({"created_before": (now - timedelta(days=1)).isoformat()}) == ["from b"]
    assert contents({"created_after": (now - timedelta(days=1)).isoformat()}) == ["from a"]


def test_messages_bad_filter_value_is_a_400_naming_the_field(staff_client):
    response = staff_client.get("/api/messages/", {"source": "bogus", "created_after": "yesterday"})
    assert response.status_code == 400
    assert {"source", "created_after"} <= set(response.json())


def test_message_detail(staff_client, archive):
    (message,) = archive("detail me")
    body = staff_client.get(f"/api/messages/{message.pk}").json()
    assert body["content"] == "detail me" and body["times_shown"] == 0
    assert staff_client.get("/api/messages/999999/").status_code == 404
