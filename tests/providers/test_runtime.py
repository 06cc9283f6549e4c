"""The provider runtime: building live providers, classifying every failure, caching, reload, circuit breaker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from plugins.base_provider import ErrorKind
from plugins.models import Plugin
from providers import runtime
from providers.models import Attempt, Provider, ReloadSignal

from .fakes import CANARY_KEY, ScriptedProvider

pytestmark = pytest.mark.django_db


def record(*outcomes):
    with transaction.atomic():
        return runtime.record_outcomes(outcomes)


# --- Configuration precedence -----------------------------------------------------------------------------


def test_blank_fields_fall_back_to_the_plugin_defaults_and_the_conventional_variable(make_provider, monkeypatch):
    monkeypatch.setenv("SCRIPTED_API_KEY", "sk-from-conventional-env")
    provider = make_provider(api_key="", base_url="", model="scripted-large")

    config = runtime.build_config(provider)

    assert config.base_url == "https://scripted.example/v1"
    assert config.model == "scripted-large"
    assert config.api_key == "sk-from-conventional-env"


def test_a_reference_is_resolved_from_the_environment_at_build_time(make_provider, monkeypatch):
    monkeypatch.setenv("MY_CUSTOM_API_KEY", "sk-first-value-123")
    provider = make_provider(api_key="${MY_CUSTOM_API_KEY}")
    assert runtime.build_config(provider).api_key == "sk-first-value-123"

    monkeypatch.setenv("MY_CUSTOM_API_KEY", "sk-rotated-value-456")
    assert runtime.build_config(provider).api_key == "sk-rotated-value-456"


def test_stored_fields_win_over_plugin_defaults_and_a_stored_key_over_the_environment(make_provider, monkeypatch):
    monkeypatch.setenv("SCRIPTED_API_KEY", "sk-env-loses-here")
    provider = make_provider(base_url="http://localhost:11434/v1", model="llama3", temperature=1.5, max_tokens=99)

    config = runtime.build_config(provider)

    assert (config.base_url, config.model, config.temperature, config.max_tokens) == (
        "http://localhost:11434/v1",
        "llama3",
        1.5,
        99,
    )
    assert config.api_key == CANARY_KEY


def test_an_unset_reference_is_an_init_failure_naming_the_variable(make_provider):
    provider = make_provider(api_key="${NOT_SET_ANYWHERE_KEY}")

    outcome = runtime.generate(provider, "s", "u")

    assert not outcome.ok
    assert outcome.error_kind == ErrorKind.INIT_FAILED
    assert "NOT_SET_ANYWHERE_KEY" in outcome.error


# --- One call, every failure ------------------------------------------------------------------------------


def test_a_successful_call_returns_the_response_and_an_unsaved_attempt_with_tokens(make_provider):
    provider = make_provider()

    outcome = runtime.generate(provider, "system", "user")

    assert outcome.ok and outcome.content == "hello from scripted-default"
    assert outcome.attempt.pk is None
    assert (outcome.attempt.prompt_tokens, outcome.attempt.completion_tokens, outcome.attempt.total_tokens) == (3, 4, 7)


def test_generate_writes_nothing_to_the_database(make_provider, django_assert_num_queries):
    provider = Provider.objects.select_related("plugin").get(pk=make_provider(script="raise").pk)

    with django_assert_num_queries(0):
        runtime.generate(provider, "s", "u")
        runtime.generate(provider, "s", "u")


@pytest.mark.parametrize(
    ("script", "kind", "text"),
    [
        ("raise", ErrorKind.EXCEPTION, "ValueError"),
        ("none", ErrorKind.NO_RESPONSE, "no response"),
        ("auth", ErrorKind.AUTH, "check the API key"),
        ("server-error", ErrorKind.SERVER_ERROR, "HTTP 500"),
        ("empty", ErrorKind.EMPTY, "empty"),
        ("garbage", ErrorKind.BAD_RESPONSE, "dict"),
        ("init-false", ErrorKind.INIT_FAILED, "no key configured"),
        ("init-raise", ErrorKind.INIT_FAILED, "RuntimeError"),
    ],
)
def test_each_failure_is_one_failed_attempt_of_the_right_kind(make_provider, script, kind, text):
    provider = make_provider(script=script)

    outcome = runtime.generate(provider, "s", "u")
    (attempt,) = record(outcome)

    assert not outcome.ok and outcome.response is None
    assert (attempt.ok, attempt.error_kind) == (False, kind)
    assert text in attempt.error
    assert Attempt.objects.count() == 1


def test_error_texts_never_contain_the_key_even_when_the_plugin_quotes_it(make_provider):
    outcomes = [runtime.generate(make_provider(script=s), "s", "u") for s in ("raise", "init-raise", "server-error")]
    record(*outcomes)

    assert all(CANARY_KEY not in o.error for o in outcomes)
    assert not Attempt.objects.filter(error__contains=CANARY_KEY).exists()
    assert not Provider.objects.filter(last_error__contains=CANARY_KEY).exists()


def test_a_hanging_plugin_is_cut_off_at_the_host_deadline_and_its_instance_discarded(make_provider):
    provider = make_provider(script="hang", timeout=1)

    outcome = runtime.generate(provider, "s", "u")

    assert outcome.error_kind == ErrorKind.TIMEOUT
    assert 1000 <= outcome.latency_ms < 10_000
    (stuck,) = ScriptedProvider.built
    ScriptedProvider.release.set()  # same configuration, but "hang" now returns at once
    assert runtime.generate(provider, "s", "u").error_kind == ErrorKind.NO_RESPONSE
    assert len(ScriptedProvider.built) == 2 and ScriptedProvider.built[-1] is not stuck, "stuck instance reused"


def test_auth_failure_marks_the_provider_unhealthy_with_advice(make_provider):
    provider = make_provider(script="auth")

    record(runtime.generate(provider, "s", "u"))

    provider.refresh_from_db()
    assert provider.healthy == Provider.Health.NO
    assert "check the API key" in provider.last_error


# --- Live instance cache ----------------------------------------------------------------------------------


def test_an_instance_is_reused_until_the_row_changes_then_rebuilt_and_the_old_one_closed(make_provider):
    provider = make_provider()
    runtime.generate(provider, "s", "u")
    runtime.generate(provider, "s", "u")
    assert len(ScriptedProvider.built) == 1

    Provider.objects.filter(pk=provider.pk).update(model="scripted-large")  # an admin edit elsewhere
    provider.refresh_from_db()
    outcome = runtime.generate(provider, "s", "u")

    assert len(ScriptedProvider.built) == 2
    assert outcome.content == "hello from scripted-large"
    first = ScriptedProvider.built[0]
    _wait_for(lambda: first.closed)


def test_a_changed_environment_variable_rebuilds_the_instance(make_provider, monkeypatch):
    monkeypatch.setenv("ROTATING_API_KEY", "sk-rotating-one-11")
    provider = make_provider(api_key="${ROTATING_API_KEY}")
    runtime.generate(provider, "s", "u")

    monkeypatch.setenv("ROTATING_API_KEY", "sk-rotating-two-22")
    runtime.generate(provider, "s", "u")

    assert [p.config.api_key for p in ScriptedProvider.built] == ["sk-rotating-one-11", "sk-rotating-two-22"]


def test_a_reload_generation_bump_rescans_plugins_and_rebuilds_every_instance(make_provider, monkeypatch):
    rescans = []
    monkeypatch.setattr(runtime, "rescan_plugins", lambda: rescans.append(1))
    provider = make_provider()
    runtime.eligible_providers()  # this process notes the current generation
    runtime.generate(provider, "s", "u")

    ReloadSignal.bump()  # what POST /api/providers/reload/ does, seen from another process
    runtime.eligible_providers()
    runtime.generate(provider, "s", "u")

    assert rescans == [1]
    assert len(ScriptedProvider.built) == 2
    runtime.eligible_providers()
    assert rescans == [1], "an unchanged generation must not rescan again"


def test_request_reload_syncs_plugins_and_bumps_the_generation(monkeypatch, db):
    monkeypatch.setattr(runtime, "sync_plugins", lambda: "3 valid")
    before = ReloadSignal.current()

    result = runtime.request_reload()

    assert result.generation == before + 1 == ReloadSignal.current()
    assert result.plugins == "3 valid"


# --- Eligibility and the circuit breaker ------------------------------------------------------------------


def test_eligible_providers_are_usable_ones_in_priority_then_name_order(make_provider, scripted_plugin):
    make_provider("b", priority=10)
    make_provider("a", priority=10)
    make_provider("first", priority=1)
    make_provider("off", enabled=False)
    broken = Plugin.objects.create(key="x.y:Broken", status=Plugin.Status.INVALID, source="custom")
    Provider.objects.create(name="on-broken-plugin", plugin=broken, model="m", enabled=True)

    assert [p.name for p in runtime.eligible_providers()] == ["first", "a", "b"]


def test_disabling_the_plugin_makes_its_providers_ineligible_but_keeps_them(make_provider, scripted_plugin):
    make_provider("kept")
    Plugin.objects.filter(pk=scripted_plugin.pk).update(enabled=False)

    assert runtime.eligible_providers() == []
    assert Provider.objects.filter(name="kept", enabled=True).exists()


def test_circuit_opens_after_n_failures_then_half_opens_and_a_trial_success_closes_it(make_provider, settings):
    settings.AITICKER_CIRCUIT_FAILURES = 3
    settings.AITICKER_CIRCUIT_COOLDOWN = 60
    provider = make_provider("flaky", script="none")
    backup = make_provider("backup", priority=200)

    for _ in range(2):
        record(runtime.generate(provider, "s", "u"))
    provider.refresh_from_db()
    assert provider.circuit_state() == Provider.Circuit.CLOSED and provider.consecutive_failures == 2

    record(runtime.generate(provider, "s", "u"))
    provider.refresh_from_db()
    assert provider.circuit_state() == Provider.Circuit.OPEN
    assert [p.name for p in runtime.eligible_providers()] == ["backup"]

    later = timezone.now() + timedelta(seconds=61)
    assert provider.circuit_state(later) == Provider.Circuit.HALF_OPEN
    assert [p.name for p in runtime.eligible_providers(now=later)] == ["flaky", "backup"]

    provider.extra_params = {"script": "ok"}
    provider.save()
    record(runtime.generate(provider, "s", "u"))
    provider.refresh_from_db()
    assert (provider.circuit_state(), provider.consecutive_failures, provider.healthy) == ("closed", 0, "yes")
    assert backup.circuit_state() == "closed"


def test_a_failed_trial_call_reopens_the_circuit_for_a_new_cooldown(make_provider, settings):
    settings.AITICKER_CIRCUIT_FAILURES = 2
    settings.AITICKER_CIRCUIT_COOLDOWN = 60
    provider = make_provider(script="none")
    long_ago = timezone.now() - timedelta(seconds=5)
    Provider.objects.filter(pk=provider.pk).update(consecutive_failures=2, circuit_open_until=long_ago)
    provider.refresh_from_db()
    assert provider.circuit_state() == Provider.Circuit.HALF_OPEN

    record(runtime.generate(provider, "s", "u"))

    provider.refresh_from_db()
    assert provider.circuit_state() == Provider.Circuit.OPEN
    assert provider.circuit_open_until > timezone.now() + timedelta(seconds=50)


def test_when_every_circuit_is_open_the_one_closing_soonest_is_tried(make_provider):
    now = timezone.now()
    make_provider("late", priority=1, circuit_open_until=now + timedelta(minutes=9), consecutive_failures=3)
    make_provider("soon", priority=2, circuit_open_until=now + timedelta(minutes=1), consecutive_failures=3)

    assert [p.name for p in runtime.eligible_providers(now=now)] == ["soon"]


def test_health_checks_and_tests_never_open_the_circuit(make_provider, settings):
    settings.AITICKER_CIRCUIT_FAILURES = 1
    provider = make_provider(script="none", extra_params={"health": "down"})

    record(runtime.check_health(provider), runtime.generate(provider, "s", "u", purpose=Attempt.Purpose.TEST))

    provider.refresh_from_db()
    assert provider.circuit_state() == Provider.Circuit.CLOSED and provider.consecutive_failures == 0
    assert provider.healthy == Provider.Health.NO


def test_recording_updates_only_health_columns_so_a_concurrent_admin_edit_survives(make_provider):
    provider = make_provider(script="none")
    outcome = runtime.generate(provider, "s", "u")
    Provider.objects.filter(pk=provider.pk).update(model="edited-meanwhile", priority=7)

    record(outcome)

    provider.refresh_from_db()
    assert (provider.model, provider.priority, provider.consecutive_failures) == ("edited-meanwhile", 7, 1)


def test_attempts_keep_the_provider_name_after_the_provider_is_deleted(make_provider):
    provider = make_provider("gone")
    record(runtime.generate(provider, "s", "u"))
    provider.delete()

    attempt = Attempt.objects.get()
    assert (attempt.provider, attempt.provider_name) == (None, "gone")


def _wait_for(condition, seconds: float = 5.0) -> None:
    # Replaced instances are closed in a background thread (closing may block); poll instead of sleeping blind.
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
