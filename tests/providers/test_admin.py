"""The provider admin: masked key, model validation on the form, actions, read-only attempts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from providers import runtime
from providers.models import Attempt, Provider

from .fakes import CANARY_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(user)
    return client


def form_data(provider: Provider, **overrides) -> dict:
    data = {
        "name": provider.name,
        "plugin": provider.plugin_id,
        "priority": provider.priority,
        "base_url": provider.base_url,
        "api_key": "",
        "model": provider.model,
        "max_tokens": provider.max_tokens,
        "temperature": provider.temperature,
        "timeout": provider.timeout,
        "extra_params": '{"script": "ok"}',
        "extra_headers": "{}",
        "notes": "",
    }
    if provider.enabled:
        data["enabled"] = "on"  # an unchecked checkbox is simply absent from a form post
    data.update(overrides)
    return data


def test_changelist_and_change_form_never_contain_the_key(admin_client_, make_provider):
    provider = make_provider("Secretive")
    runtime.sample_generation(provider)

    changelist = admin_client_.get(reverse("admin:providers_provider_changelist")).content.decode()
    change = admin_client_.get(reverse("admin:providers_provider_change", args=[provider.pk])).content.decode()

    assert "Secretive" in changelist and "provider-badge" in changelist
    assert CANARY_KEY not in changelist and CANARY_KEY not in change
    assert provider.api_key not in change, "not even the encrypted token goes to the browser"
    assert "…" + CANARY_KEY[-4:] in change


def test_saving_with_a_blank_key_keeps_the_stored_key(admin_client_, make_provider):
    provider = make_provider("Keeper")
    url = reverse("admin:providers_provider_change", args=[provider.pk])

    response = admin_client_.post(url, form_data(provider, model="scripted-large"))

    assert response.status_code == 302, response.content.decode()[:2000]
    provider.refresh_from_db()
    assert provider.model == "scripted-large"
    assert runtime.build_config(provider).api_key == CANARY_KEY


def test_the_clear_checkbox_removes_the_key(admin_client_, make_provider):
    provider = make_provider("Clearer")

    admin_client_.post(
        reverse("admin:providers_provider_change", args=[provider.pk]), form_data(provider, clear_api_key="on")
    )

    provider.refresh_from_db()
    assert provider.api_key == ""


def test_out_of_range_values_are_form_errors_on_their_fields(admin_client_, make_provider):
    provider = make_provider("Ranged")

    response = admin_client_.post(
        reverse("admin:providers_provider_change", args=[provider.pk]),
        form_data(provider, temperature="3", extra_headers='{"X": 1}'),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "temperature" in errors and "extra_headers" in errors


def test_an_unlisted_model_saves_with_a_warning_message(admin_client_, make_provider):
    provider = make_provider("Novel")

    response = admin_client_.post(
        reverse("admin:providers_provider_change", args=[provider.pk]),
        form_data(provider, model="brand-new-model"),
        follow=True,
    )

    assert any("not among the plugin's supported models" in str(m) for m in response.context["messages"])


def test_actions_test_check_enable_and_disable(admin_client_, make_provider, scripted_plugin):
    provider = make_provider("Acting", enabled=False)
    url = reverse("admin:providers_provider_changelist")

    def act(action):
        return admin_client_.post(url, {"action": action, "_selected_action": [provider.pk]}, follow=True)

    assert "enabled 1 provider" in act("enable_providers").content.decode().lower()
    assert "OK in" in act("test_connection").content.decode()
    assert "healthy" in act("run_health_check").content.decode()
    act("disable_providers")
    provider.refresh_from_db()
    assert provider.enabled is False
    assert set(Attempt.objects.values_list("purpose", flat=True)) == {"test", "health"}

    scripted_plugin.enabled = False
    scripted_plugin.save()
    assert "is disabled" in act("enable_providers").content.decode()


def test_attempts_are_read_only_in_the_admin(admin_client_, make_provider):
    provider = make_provider()
    runtime.sample_generation(provider)

    response = admin_client_.get(reverse("admin:providers_attempt_changelist"))

    assert response.status_code == 200
    assert admin_client_.get(reverse("admin:providers_attempt_add")).status_code == 403
