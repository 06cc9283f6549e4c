"""The provider API: staff only, the key write-only, validation errors naming fields, actions."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from providers import runtime
from providers.models import Attempt, Provider

from .conftest import SCRIPTED_KEY
from .fakes import CANARY_KEY

pytestmark = pytest.mark.django_db


def payload(**overrides):
    body = {"name": "Scripted A", "plugin": SCRIPTED_KEY, "model": "scripted-default", "api_key": CANARY_KEY}
    body.update(overrides)
    return body


@pytest.mark.parametrize("path", ["/api/providers/", "/api/providers", "/api/providers/health/"])
def test_anonymous_requests_are_refused(client, path, scripted_plugin):
    assert client.get(path).status_code in (401, 403)


def test_logged_in_non_staff_users_are_forbidden(django_user_model, scripted_plugin):
    user = django_user_model.objects.create_user("viewer", password="pw-viewer-123")
    api = APIClient()
    api.force_authenticate(user)

    assert api.get("/api/providers/").status_code == 403
    assert api.post("/api/providers/", payload(), format="json").status_code == 403
    assert api.post("/api/providers/reload").status_code == 403


def test_staff_token_auth_works_for_scripts(staff, scripted_plugin):
    token = Token.objects.create(user=staff)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api.get("/api/providers").status_code == 200


def test_create_stores_the_key_encrypted_and_never_returns_it(staff_api, scripted_plugin):
    response = staff_api.post("/api/providers/", payload(), format="json")

    assert response.status_code == 201, response.content
    assert CANARY_KEY not in response.content.decode()
    assert response.data["api_key_set"] is True
    assert response.data["api_key_hint"] == "…" + CANARY_KEY[-4:]
    assert "api_key" not in response.data
    assert runtime.build_config(Provider.objects.get()).api_key == CANARY_KEY


def test_a_blank_key_on_update_keeps_the_stored_one_and_clear_removes_it(staff_api, make_provider):
    provider = make_provider("p1")

    response = staff_api.patch(f"/api/providers/{provider.pk}/", {"api_key": "", "priority": 5}, format="json")
    assert response.status_code == 200
    provider.refresh_from_db()
    assert runtime.build_config(provider).api_key == CANARY_KEY

    staff_api.patch(f"/api/providers/{provider.pk}/", {"clear_api_key": True}, format="json")
    provider.refresh_from_db()
    assert provider.api_key == ""


def test_reads_include_health_and_circuit_state_but_never_the_key(staff_api, make_provider):
    make_provider("listed")

    body = staff_api.get("/api/providers/").json()
    (item,) = body["results"]

    assert {"healthy", "last_error", "last_latency_ms", "circuit_state", "consecutive_failures"} <= set(item)
    assert item["circuit_state"] == "closed"
    assert CANARY_KEY not in json.dumps(body)


def test_an_unknown_plugin_key_is_a_400_naming_plugin(staff_api, scripted_plugin):
    response = staff_api.post("/api/providers/", payload(plugin="plugins.custom.nope:Nope"), format="json")

    assert response.status_code == 400
    assert "Unknown plugin" in response.data["plugin"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", 2.5),
        ("temperature", "warm"),
        ("max_tokens", 0),
        ("max_tokens", 40000),
        ("timeout", 0.5),
        ("timeout", 301),
        ("base_url", "ftp://example.com"),
        ("base_url", "not a url"),
        ("extra_params", [1, 2]),
        ("extra_headers", {"X-Count": 3}),
        ("model", ""),
        ("name", ""),
    ],
)
def test_invalid_values_are_400s_naming_the_field(staff_api, scripted_plugin, field, value):
    response = staff_api.post("/api/providers/", payload(**{field: value}), format="json")

    assert response.status_code == 400, response.content
    assert field in response.data
    assert not Provider.objects.exists()


def test_enabling_a_provider_of_a_disabled_plugin_is_refused_on_enabled(staff_api, scripted_plugin):
    scripted_plugin.enabled = False
    scripted_plugin.save()

    response = staff_api.post("/api/providers/", payload(enabled=True), format="json")

    assert response.status_code == 400
    assert "disabled" in response.data["enabled"][0]


def test_an_unlisted_model_is_saved_with_a_warning(staff_api, scripted_plugin):
    response = staff_api.post("/api/providers/", payload(model="brand-new-model"), format="json")

    assert response.status_code == 201
    assert "not among the plugin's supported models" in response.data["warnings"][0]


def test_duplicate_names_are_a_400_on_name(staff_api, make_provider):
    make_provider("Scripted A")

    response = staff_api.post("/api/providers/", payload(), format="json")

    assert response.status_code == 400 and "name" in response.data


def test_filters_by_enabled_plugin_and_health(staff_api, make_provider):
    make_provider("on")
    make_provider("off", enabled=False)

    names = [p["name"] for p in staff_api.get("/api/providers/?enabled=false").json()["results"]]
    assert names == ["off"]
    assert len(staff_api.get(f"/api/providers/?plugin={SCRIPTED_KEY}").json()["results"]) == 2
    assert staff_api.get("/api/providers/?healthy=yes").json()["results"] == []


def test_health_action_checks_one_provider_and_records_it(staff_api, make_provider):
    provider = make_provider()

    response = staff_api.post(f"/api/providers/{provider.pk}/health/")

    assert response.status_code == 200
    assert response.data["ok"] is True and response.data["healthy"] == "yes"
    assert Attempt.objects.get().purpose == Attempt.Purpose.HEALTH


def test_test_action_returns_content_latency_and_usage(staff_api, make_provider):
    provider = make_provider()

    response = staff_api.post(f"/api/providers/{provider.pk}/test", {"user_prompt": "Hi"}, format="json")

    assert response.status_code == 200
    assert response.data["content"] == "hello from scripted-default"
    assert response.data["usage"]["total_tokens"] == 7
    assert response.data["latency_ms"] >= 0
    assert Attempt.objects.get().purpose == Attempt.Purpose.TEST


def test_a_failing_test_call_reports_the_error_without_the_key(staff_api, make_provider):
    provider = make_provider(script="raise")

    response = staff_api.post(f"/api/providers/{provider.pk}/test/")

    assert response.status_code == 200
    assert response.data["ok"] is False and response.data["error_kind"] == "exception"
    assert CANARY_KEY not in response.content.decode()


def test_health_of_all_enabled_providers(staff_api, make_provider):
    make_provider("a")
    make_provider("b", extra_params={"health": "down"})

    response = staff_api.get("/api/providers/health")

    assert response.status_code == 200
    assert {(r["name"], r["ok"]) for r in response.data} == {("a", True), ("b", False)}


def test_reload_without_trailing_slash_bumps_the_generation(staff_api, monkeypatch, db):
    monkeypatch.setattr(runtime, "sync_plugins", lambda: "10 plugins: 10 valid")

    first = staff_api.post("/api/providers/reload")
    second = staff_api.post("/api/providers/reload/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.data["generation"] == first.data["generation"] + 1


def test_the_schema_documents_the_provider_actions(staff_api):
    response = staff_api.get("/api/schema/")

    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/providers/{id}/health/", "/api/providers/{id}/test/", "/api/providers/reload/"):
        assert path in text
