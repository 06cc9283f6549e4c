"""Health checks: concurrent, bounded, recorded, and informative only (they never open a circuit)."""

from __future__ import annotations

import time

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from providers.health import check_providers
from providers.models import Attempt, Provider

from .fakes import CANARY_KEY

pytestmark = pytest.mark.django_db


def delayed_models_listing(request):
    time.sleep(0.3)
    return httpx.Response(200, json={"data": [{"id": "m"}]})


def test_five_slow_checks_run_concurrently_so_wall_time_is_near_the_slowest(openrouter_plugin, respx_mock):
    for n in range(5):
        Provider.objects.create(
            name=f"router-{n}",
            plugin=openrouter_plugin,
            model="openai/gpt-4o-mini",
            api_key=CANARY_KEY,
            base_url=f"https://host{n}.example/v1",
        )
        respx_mock.get(f"https://host{n}.example/v1/models").mock(side_effect=delayed_models_listing)

    started = time.monotonic()
    outcomes = check_providers()
    wall = time.monotonic() - started

    assert [o.ok for o in outcomes] == [True] * 5
    assert wall < 1.0, f"5 checks of 0.3 s took {wall:.2f} s: they ran one after another"
    assert Attempt.objects.filter(purpose=Attempt.Purpose.HEALTH, ok=True).count() == 5
    assert set(Provider.objects.values_list("healthy", flat=True)) == {Provider.Health.YES}


def test_a_hanging_health_check_is_bounded_by_the_provider_timeout(make_provider):
    make_provider("stuck", extra_params={"health": "hang"}, timeout=1)
    make_provider("fine")

    started = time.monotonic()
    outcomes = {o.provider.name: o for o in check_providers()}

    assert time.monotonic() - started < 5
    assert outcomes["stuck"].error_kind == "timeout" and outcomes["fine"].ok


def test_a_failed_health_check_marks_down_but_never_opens_the_circuit(make_provider, settings):
    settings.AITICKER_CIRCUIT_FAILURES = 1
    provider = make_provider(extra_params={"health": "down"})

    for _ in range(3):
        check_providers([provider])

    provider.refresh_from_db()
    assert provider.healthy == Provider.Health.NO
    assert (provider.consecutive_failures, provider.circuit_state()) == (0, "closed")


def test_only_enabled_providers_of_usable_plugins_are_checked_by_default(make_provider):
    make_provider("on")
    make_provider("off", enabled=False)

    assert [o.provider.name for o in check_providers()] == ["on"]


def test_checkproviders_prints_a_table_and_fails_when_one_is_down(make_provider, capsys):
    make_provider("good-one")
    make_provider("bad-one", extra_params={"health": "down"})

    with pytest.raises(CommandError, match="1 of 2 provider\\(s\\) down: bad-one"):
        call_command("checkproviders")

    out = capsys.readouterr().out
    assert "NAME" in out and "good-one" in out and "bad-one" in out and "DOWN" in out


def test_checkproviders_succeeds_when_all_are_up(make_provider, capsys):
    make_provider("good-one")

    call_command("checkproviders")

    assert "All 1 provider(s) healthy." in capsys.readouterr().out
