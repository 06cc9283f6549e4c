"""Provider faults over real sockets: each one costs one failed attempt, the fallback serves the tick, the loop
goes on.

A provider on the builtin OpenAI-compatible plugin points at one misbehaving route of the fault server; a
second provider, lower in priority, points at its healthy route. The loop runs two ticks in-process, so every
fault is met twice and the second tick proves the loop survived the first.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from django.conf import settings

from aiticker.engine import run_tick
from aiticker.loop import LoopOptions, TickerLoop
from aiticker.models import Tick
from plugins.base_provider import ErrorKind
from providers.models import Attempt, Provider
from tests.support.fault_server import HUGE_BODY_BYTES, free_port

# The loop manages its own connection (close_old_connections each pass), as in production; inside a test-wide
# transaction PostgreSQL would see that connection closed, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

#: The faulty provider's timeout: the overall deadline of one call, retry included.
TIMEOUT = 1
#: Far below anything a fault could cost without the deadline (a dripped body takes minutes, a hang forever),
#: yet above the deadline plus thread scheduling on a busy two-core machine.
CALL_BOUND_MS = 2500

FAULTS = [
    # (test id, fault server behaviour or None for "nothing listens", expected error kind)
    ("connection-refused", None, ErrorKind.CONNECT),
    ("accept-then-hang", "hang", ErrorKind.TIMEOUT),
    ("drip-one-byte-per-second", "drip", ErrorKind.TIMEOUT),
    ("http-500", "status500", ErrorKind.SERVER_ERROR),
    ("http-502", "status502", ErrorKind.SERVER_ERROR),
    ("http-503", "status503", ErrorKind.SERVER_ERROR),
    ("429-retry-after-a-day", "ratelimit", ErrorKind.RATE_LIMITED),
    ("http-401", "unauthorized", ErrorKind.AUTH),
    ("invalid-json", "badjson", ErrorKind.BAD_RESPONSE),
    ("json-of-the-wrong-shape", "wrongshape", ErrorKind.BAD_RESPONSE),
    ("20mb-body-announced", "huge", ErrorKind.TOO_LARGE),
    ("20mb-body-streamed", "hugestream", ErrorKind.TOO_LARGE),
    ("not-utf8", "notutf8", ErrorKind.BAD_RESPONSE),
    ("empty-content", "empty", ErrorKind.EMPTY),
]


def _base_url(fault_server, behaviour: str | None) -> str:
    return fault_server.url(behaviour) if behaviour else f"http://127.0.0.1:{free_port()}/refused/v1"


@pytest.fixture
def faulty_and_fallback(fault_server, http_provider, ticker_settings):
    def make(behaviour: str | None) -> tuple[Provider, Provider]:
        faulty = http_provider("faulty", _base_url(fault_server, behaviour), priority=1, timeout=TIMEOUT)
        fallback = http_provider("fallback", fault_server.url("ok"), priority=2, timeout=5)
        return faulty, fallback

    return make


@pytest.mark.parametrize(("behaviour", "kind"), [(b, k) for _, b, k in FAULTS], ids=[i for i, _, _ in FAULTS])
def test_a_provider_fault_is_one_failed_attempt_and_the_fallback_serves_the_tick(faulty_and_fallback, behaviour, kind):
    faulty, _ = faulty_and_fallback(behaviour)

    ticks = TickerLoop(LoopOptions(interval=0.01, iterations=2)).run()

    assert ticks == 2, "the loop lived on after the fault"
    for tick in Tick.objects.order_by("id"):
        assert tick.source == Tick.Source.FRESH
        assert tick.message.provider_name == "fallback"
        assert tick.message.content.startswith("Message ")
        attempts = [(a.provider_name, a.ok, a.error_kind) for a in tick.attempts.order_by("id")]
        assert attempts == [("faulty", False, kind), ("fallback", True, "")]
    failed = Attempt.objects.filter(provider=faulty)
    assert failed.count() == 2 and all(a.error and "host deadline" not in a.error for a in failed)
    assert max(a.latency_ms for a in failed) < CALL_BOUND_MS, "the plugin's own deadline ended the call"
    faulty.refresh_from_db()
    assert faulty.consecutive_failures == 2 and faulty.last_error
    if kind == ErrorKind.AUTH:
        assert faulty.healthy == Provider.Health.NO and "check the API key" in faulty.last_error


def test_a_dripping_server_cannot_hold_a_call_past_its_deadline(faulty_and_fallback, fault_server):
    faulty_and_fallback("drip")

    started = time.monotonic()
    result = run_tick()
    elapsed = time.monotonic() - started

    failed = result.outcomes[0]
    assert failed.error_kind == ErrorKind.TIMEOUT
    # The body is ~300 bytes at one byte a second: only an overall deadline ends the call near TIMEOUT.
    assert TIMEOUT * 1000 * 0.9 <= failed.latency_ms < CALL_BOUND_MS
    assert elapsed < 5 and result.source == Tick.Source.FRESH


def test_a_day_long_retry_after_is_neither_waited_for_nor_retried(faulty_and_fallback, fault_server):
    faulty_and_fallback("ratelimit")
    before = len(fault_server.requests_for("ratelimit"))

    result = run_tick()

    assert result.outcomes[0].error_kind == ErrorKind.RATE_LIMITED
    assert "86400" in result.outcomes[0].error
    assert len(fault_server.requests_for("ratelimit")) - before == 1, "no retry: waiting would not fit the deadline"
    assert result.outcomes[0].latency_ms < TIMEOUT * 1000, "gave up at once instead of sleeping out the deadline"


def test_a_server_error_is_retried_once_without_a_pause(faulty_and_fallback, fault_server):
    faulty_and_fallback("status500")
    before = len(fault_server.requests_for("status500"))

    result = run_tick()

    assert result.outcomes[0].error_kind == ErrorKind.SERVER_ERROR
    assert len(fault_server.requests_for("status500")) - before == 2, "exactly one retry"
    # A pause before the retry would cost the whole tick; the fallback provider is the backoff.
    assert result.outcomes[0].latency_ms < 400 and result.source == Tick.Source.FRESH


def _wait_for_huge_handler(fault_server) -> int:
    """Bytes the fault server pushed before the client hung up (set when its handler finishes)."""
    deadline = time.monotonic() + 10
    while fault_server.huge_bytes_sent == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    return fault_server.huge_bytes_sent


@pytest.mark.parametrize("behaviour", ["huge", "hugestream"])
def test_a_20mb_body_is_not_read_whole(faulty_and_fallback, fault_server, behaviour):
    faulty_and_fallback(behaviour)
    fault_server.huge_bytes_sent = 0

    tracemalloc.start()
    try:
        result = run_tick()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.outcomes[0].error_kind == ErrorKind.TOO_LARGE
    assert result.source == Tick.Source.FRESH
    sent = _wait_for_huge_handler(fault_server)
    assert 0 < sent < HUGE_BODY_BYTES, "the client stopped reading, so the server could not push all 20 MB"
    # Reading stops at AITICKER_MAX_RESPONSE_BYTES (2 MB by default); a body read whole would be 20 MB or more.
    assert peak < settings.AITICKER_MAX_RESPONSE_BYTES * 3 < HUGE_BODY_BYTES / 3
