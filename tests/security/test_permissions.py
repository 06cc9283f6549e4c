"""Who may do what: one table of anonymous / logged-in user / staff × every endpoint × every method.

The same table is printed in the README ("Permission matrix"); the test fails when the two drift apart, and
prints the table to paste. Each cell runs in its own rolled-back transaction, so a DELETE in one cell cannot
change what the next one sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from aiticker.models import Message, Tick

from .conftest import MOCK_KEY

README = Path(settings.BASE_DIR) / "README.md"
TABLE_START = "<!-- permission-matrix:start -->"
TABLE_END = "<!-- permission-matrix:end -->"

PROVIDER_BODY = {"name": "Created", "plugin": MOCK_KEY, "model": "mock-1"}
CALLERS = ("anonymous", "user", "staff")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    anonymous: int
    user: int
    staff: int

    def expected(self, caller: str) -> int:
        return getattr(self, caller)


# fmt: off
MATRIX = [
    # Pages and the public API: anyone may read, nobody may write.
    Row("GET",    "/",                                    200, 200, 200),
    Row("POST",   "/",                                    405, 405, 405),
    Row("GET",    "/embed/",                              200, 200, 200),
    Row("GET",    "/api/ticker/",                         200, 200, 200),
    Row("POST",   "/api/ticker/",                         405, 405, 405),
    Row("GET",    "/api/health/",                         200, 200, 200),
    Row("DELETE", "/api/health/",                         405, 405, 405),
    Row("GET",    "/api/schema/",                         200, 200, 200),
    Row("GET",    "/api/docs/",                           200, 200, 200),
    # Plugins: the listing is public (the plugin guide curls it); changing anything is staff only.
    Row("GET",    "/api/plugins/",                        200, 200, 200),
    Row("POST",   "/api/plugins/",                        403, 403, 405),
    Row("GET",    "/api/plugins/{plugin}/",               200, 200, 200),
    Row("PATCH",  "/api/plugins/{plugin}/",               403, 403, 200),
    Row("PUT",    "/api/plugins/{plugin}/",               403, 403, 405),
    Row("DELETE", "/api/plugins/{plugin}/",               403, 403, 405),
    Row("POST",   "/api/plugins/rescan/",                 403, 403, 200),
    # Providers: staff only, every method.
    Row("GET",    "/api/providers/",                      403, 403, 200),
    Row("POST",   "/api/providers/",                      403, 403, 201),
    Row("GET",    "/api/providers/{provider}/",           403, 403, 200),
    Row("PUT",    "/api/providers/{provider}/",           403, 403, 200),
    Row("PATCH",  "/api/providers/{provider}/",           403, 403, 200),
    Row("DELETE", "/api/providers/{provider}/",           403, 403, 204),
    Row("POST",   "/api/providers/{provider}/health/",    403, 403, 200),
    Row("POST",   "/api/providers/{provider}/test/",      403, 403, 200),
    Row("GET",    "/api/providers/health/",               403, 403, 200),
    Row("POST",   "/api/providers/reload/",               403, 403, 200),
    # The message archive: staff only, read-only.
    Row("GET",    "/api/messages/",                       403, 403, 200),
    Row("POST",   "/api/messages/",                       403, 403, 405),
    Row("GET",    "/api/messages/{message}/",             403, 403, 200),
    Row("DELETE", "/api/messages/{message}/",             403, 403, 405),
    # The admin: staff only (others are sent to the login page); history and plugins cannot be added.
    Row("GET",    "/admin/",                              302, 302, 200),
    Row("GET",    "/admin/providers/provider/",           302, 302, 200),
    Row("GET",    "/admin/providers/provider/add/",       302, 302, 200),
    Row("GET",    "/admin/providers/provider/{provider}/change/", 302, 302, 200),
    Row("GET",    "/admin/providers/attempt/",            302, 302, 200),
    Row("GET",    "/admin/providers/attempt/add/",        302, 302, 403),
    Row("GET",    "/admin/plugins/plugin/",               302, 302, 200),
    Row("GET",    "/admin/plugins/plugin/add/",           302, 302, 403),
    Row("GET",    "/admin/aiticker/message/",             302, 302, 200),
    Row("GET",    "/admin/aiticker/message/add/",         302, 302, 403),
    Row("GET",    "/admin/aiticker/promptprofile/",       302, 302, 200),
    Row("GET",    "/admin/aiticker/tickersettings/",      302, 302, 302),
]
# fmt: on


def markdown_table(rows: list[Row] = MATRIX) -> str:
    lines = ["| Method | Path | Anonymous | Logged-in user | Staff |", "|---|---|---|---|---|"]
    lines += [f"| {r.method} | `{r.path}` | {r.anonymous} | {r.user} | {r.staff} |" for r in rows]
    return "\n".join(lines)


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert TABLE_START in text and TABLE_END in text, f"README.md lost the {TABLE_START} … {TABLE_END} markers"
    return text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()


def test_the_readme_prints_exactly_this_matrix():
    assert readme_table() == markdown_table(), (
        "README.md's permission matrix differs from tests/security/test_permissions.py; paste this between "
        f"the markers:\n\n{markdown_table()}\n"
    )


def test_the_matrix_covers_every_api_route(client):
    """A new endpoint must be added to the matrix (and so to the README) before it ships."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    documented = {
        (method.upper(), path.rstrip("/") + "/")
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    names = {"{key}": "{plugin}", "{id}": "{provider}"}
    in_matrix = set()
    for row in MATRIX:
        path = row.path
        if path.startswith("/api/messages/{message}"):
            path = path.replace("{message}", "{id}")
        for placeholder, name in names.items():
            path = path.replace(name, placeholder)
        in_matrix.add((row.method, path))
    assert documented <= in_matrix, sorted(documented - in_matrix)


def caller_client(caller: str, staff, member) -> APIClient:
    client = APIClient()  # CSRF checks off here: CSRF has its own tests below
    if caller == "staff":
        client.force_login(staff)
    elif caller == "user":
        client.force_login(member)
    return client


def body_for(row: Row) -> dict | None:
    if row.path == "/api/providers/" and row.method == "POST":
        return PROVIDER_BODY
    if row.path == "/api/providers/{provider}/" and row.method == "PUT":
        return {**PROVIDER_BODY, "name": "Replaced"}
    if row.path == "/api/providers/{provider}/" and row.method == "PATCH":
        return {"priority": 5}
    if row.path == "/api/plugins/{plugin}/" and row.method == "PATCH":
        return {"enabled": True}
    return {} if row.method in ("POST", "PUT", "PATCH") else None


@pytest.mark.django_db
def test_every_caller_gets_exactly_the_status_in_the_matrix(staff, member, mock_provider):
    message = Message.objects.create(content="An archived message.", provider_name="Mock")
    Tick.objects.create(started_at=timezone.now(), message=message, source=Tick.Source.FRESH)  # a live loop
    ids = {"{plugin}": MOCK_KEY, "{provider}": str(mock_provider.pk), "{message}": str(message.pk)}
    mismatches = []
    for caller in CALLERS:
        client = caller_client(caller, staff, member)
        for row in MATRIX:
            path = row.path
            for placeholder, value in ids.items():
                path = path.replace(placeholder, value)
            cache.clear()  # the public throttle must not turn a late cell into a 429
            with transaction.atomic():
                body = body_for(row)
                kwargs = {"format": "json"} if body is not None else {}
                response = getattr(client, row.method.lower())(path, body, **kwargs)
                transaction.set_rollback(True)
            want = row.expected(caller)
            if response.status_code != want:
                mismatches.append(f"{caller:9} {row.method:6} {path}: {response.status_code}, want {want}")
            if caller != "staff" and response.status_code == 302:
                assert response["Location"].startswith("/admin/login/"), (caller, path, response["Location"])
    assert not mismatches, "\n".join(mismatches)


# --- CSRF and tokens --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(staff, mock_provider):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    url = f"/api/providers/{mock_provider.pk}/"

    refused = client.patch(url, {"priority": 7}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    mock_provider.refresh_from_db()
    assert mock_provider.priority == 100

    client.get("/admin/")  # any page that renders a form sets the cookie; the admin index is one
    token = client.cookies["csrftoken"].value
    accepted = client.patch(url, {"priority": 7}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200, accepted.content
    mock_provider.refresh_from_db()
    assert mock_provider.priority == 7


@pytest.mark.django_db
def test_a_forged_cross_site_form_post_to_the_admin_is_refused(staff, mock_provider):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(
        f"/admin/providers/provider/{mock_provider.pk}/delete/", {"post": "yes"}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert mock_provider.__class__.objects.filter(pk=mock_provider.pk).exists()


@pytest.mark.django_db
def test_scripts_use_a_token_without_csrf(staff_token, mock_provider, mock_plugin):
    client = APIClient(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Token {staff_token}"}
    assert client.get("/api/providers/", **auth).status_code == 200
    created = client.post("/api/providers/", PROVIDER_BODY, format="json", **auth)
    assert created.status_code == 201, created.content
    assert client.post(f"/api/providers/{mock_provider.pk}/test/", {}, format="json", **auth).status_code == 200


@pytest.mark.django_db
def test_a_wrong_token_or_a_non_staff_token_gets_nothing(member, mock_provider):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    # 403, not 401: session authentication comes first and sends no WWW-Authenticate challenge.
    assert client.get("/api/providers/", HTTP_AUTHORIZATION="Token not-a-real-token").status_code == 403
    member_token = Token.objects.create(user=member).key
    assert client.get("/api/providers/", HTTP_AUTHORIZATION=f"Token {member_token}").status_code == 403
    assert (
        client.patch(
            f"/api/plugins/{MOCK_KEY}/", {"enabled": False}, format="json", HTTP_AUTHORIZATION=f"Token {member_token}"
        ).status_code
        == 403
    )
