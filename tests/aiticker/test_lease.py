"""The database lease: one holder at a time, takeover after expiry, release on exit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aiticker.lease import Lease, LeaseLost, current_lease, lease_ttl
from aiticker.models import TickerLease

pytestmark = pytest.mark.django_db


def test_only_one_process_holds_the_lease():
    a, b = Lease(30, holder="a"), Lease(30, holder="b")
    assert a.acquire() and not b.acquire()
    assert a.renew() and not b.acquire()
    assert current_lease().holder == "a"


def test_a_standby_takes_over_once_the_holder_stops_renewing():
    a, b = Lease(30, holder="a"), Lease(30, holder="b")
    start = timezone.now()
    assert a.acquire(now=start)
    assert not b.acquire(now=start + timedelta(seconds=29))
    assert b.acquire(now=start + timedelta(seconds=31))
    # The old holder, back from a stall, finds the lease gone and must not tick.
    assert not a.renew(now=start + timedelta(seconds=32))
    with pytest.raises(LeaseLost):
        a.ensure_held(now=start + timedelta(seconds=32))


def test_release_frees_the_lease_at_once():
    a, b = Lease(30, holder="a"), Lease(30, holder="b")
    a.acquire()
    a.release()
    assert current_lease() is None and b.acquire()


def test_release_by_a_non_holder_changes_nothing():
    a, b = Lease(30, holder="a"), Lease(30, holder="b")
    a.acquire()
    b.release()
    assert current_lease().holder == "a"


def test_the_lease_row_is_recreated_if_deleted():
    TickerLease.objects.all().delete()
    assert Lease(30, holder="a").acquire()


def test_ttl_is_about_two_intervals_with_a_floor():
    assert lease_ttl(30) == 60 and lease_ttl(0.5) == 5
