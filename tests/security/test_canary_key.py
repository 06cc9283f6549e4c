"""A canary API key never leaves the server.

Providers are configured with canary keys in every way a key can be stored (a literal, encrypted at rest; a
``${VAR}`` reference; the plugin's conventional variable), two of them on the OpenAI-compatible plugin pointed
at a local server that answers 401 *echoing the Authorization header back*. Then every path that could show a
key runs: ticks, test and health calls from the API and the admin, every API endpoint, every admin page, the
export and health commands, the log, a DEBUG=False error page, and the stored error texts. Everything they
produced is collected and searched: no canary, not even a long piece of one.
"""

from __future__ import annotations

import io
import json
import logging
import random

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from aiticker import views
from aiticker.engine import run_tick
from aiticker.models import Message, Tick, TickerSettings
from plugins.models import Plugin
from providers.models import Attempt, Provider
from providers.redaction import RedactSecretsFilter
from tests.support.fault_server import FaultServer

from .conftest import MOCK_KEY, OPENAI_COMPATIBLE_KEY

pytestmark = pytest.mark.django_db

LITERAL_CANARY = "sk-canary-literal-5b1f0c7e9a2d4e6f8a1b3c5d"
REFERENCE_CANARY = "sk-canary-reference-8e2a4c6b0d1f3a5c7e9b2d4f"
CONVENTIONAL_CANARY = "sk-canary-conventional-3d5f7a9c1e2b4d6f8a0c"
CANARIES = (LITERAL_CANARY, REFERENCE_CANARY, CONVENTIONAL_CANARY)


def leaks(text: str) -> list[str]:
    """Every canary, or a 16-character piece of one, found in ``text``."""
    found = []
    for canary in CANARIES:
        pieces = {canary[i : i + 16] for i in range(0, len(canary) - 15)}
        if canary in text or any(piece in text for piece in pieces):
            found.append(canary)
    return found


class Collected:
    """Everything the exercised paths showed to someone: page bodies, headers, command output, logs."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, text: str | bytes) -> None:
        self.items.append((where, text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)))

    def response(self, where: str, response) -> None:
        self.add(where, response.content)
        self.add(f"{where} (headers)", json.dumps(dict(response.headers)))
        for message in getattr(response, "context", None) and response.context.get("messages", []) or []:
            self.add(f"{where} (admin message)", str(message))

    def assert_clean(self) -> None:
        dirty = [(where, leaks(text)) for where, text in self.items if leaks(text)]
        assert not dirty, f"canary key found in: {dirty}"


@pytest.fixture
def console_output():
    """The formatted output of the handlers settings.LOGGING configured (the console), redirected to a buffer."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    ]
    assert handlers, "the configured console handler with the redact_secrets filter is missing"
    buffer = io.StringIO()
    previous = [handler.setStream(buffer) for handler in handlers]
    root_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    yield buffer
    logging.getLogger().setLevel(root_level)
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


@pytest.fixture
def fault_server():
    with FaultServer() as server:
        yield server


@pytest.fixture
def canary_providers(db, monkeypatch, mock_plugin, fault_server):
    monkeypatch.setenv("AITICKER_CANARY_REFERENCE", REFERENCE_CANARY)
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", CONVENTIONAL_CANARY)
    echo = fault_server.url("echoauth")
    generic = Plugin.objects.get(key=OPENAI_COMPATIBLE_KEY)
    generic.enabled = True
    generic.save(update_fields=["enabled"])
    common = {"plugin": generic, "base_url": echo, "model": "fault-model", "timeout": 5}
    providers = [
        Provider.objects.create(name="Echo literal", api_key=LITERAL_CANARY, priority=1, **common),
        Provider.objects.create(name="Echo reference", api_key="${AITICKER_CANARY_REFERENCE}", priority=2, **common),
        Provider.objects.create(name="Echo conventional", api_key="", priority=3, **common),
        Provider.objects.create(name="Mock with key", plugin=mock_plugin, model="mock-1", api_key=LITERAL_CANARY),
    ]
    config = TickerSettings.load()
    config.reuse_probability = 0.0
    config.save()
    return providers


def test_a_canary_key_appears_nowhere(canary_providers, fault_server, staff, staff_api, console_output, caplog):
    caplog.set_level(logging.DEBUG)
    seen = Collected()
    echo_literal, echo_reference, echo_conventional, mock = canary_providers

    # Stored: the literal is encrypted, the reference kept as a reference.
    stored = dict(Provider.objects.values_list("name", "api_key"))
    assert stored["Echo literal"].startswith("fernet:") and stored["Mock with key"].startswith("fernet:")
    assert stored["Echo reference"] == "${AITICKER_CANARY_REFERENCE}"

    # Ticks: the three echoing providers fail first (401 + echo), the mock then serves the tick.
    for seed in range(2):
        result = run_tick(rng=random.Random(seed))
        seen.add("tick result", result.describe())
    assert Tick.objects.filter(source=Tick.Source.FRESH).count() == 2

    # The server really received every canary, and really echoed it back: the checks below can fail.
    received = " ".join(headers.get("Authorization", "") for *_, headers in fault_server.requests_for("echoauth"))
    assert all(canary in received for canary in CANARIES)

    # API: every endpoint, including the calls that make the echoing server answer.
    api_paths = ["/api/providers/", "/api/providers/health/", "/api/plugins/", "/api/messages/", "/api/ticker/"]
    api_paths += ["/api/health/", "/api/schema/", f"/api/plugins/{MOCK_KEY}/", f"/api/plugins/{OPENAI_COMPATIBLE_KEY}/"]
    for provider in canary_providers:
        api_paths.append(f"/api/providers/{provider.pk}/")
        seen.response(f"POST test {provider.name}", staff_api.post(f"/api/providers/{provider.pk}/test/"))
        seen.response(f"POST health {provider.name}", staff_api.post(f"/api/providers/{provider.pk}/health/"))
    for message in Message.objects.all():
        api_paths.append(f"/api/messages/{message.pk}/")
    for path in api_paths:
        seen.response(f"GET {path}", staff_api.get(path))
    seen.response(
        "PATCH with a new literal key",
        staff_api.patch(f"/api/providers/{mock.pk}/", {"api_key": LITERAL_CANARY, "notes": "rotated"}, format="json"),
    )
    refused = staff_api.post(
        "/api/providers/",
        {"name": "Refused", "plugin": MOCK_KEY, "model": "m", "api_key": LITERAL_CANARY, "temperature": 9},
        format="json",
    )
    assert refused.status_code == 400
    seen.response("POST refused with a key", refused)
    body = {"name": "Created", "plugin": MOCK_KEY, "model": "m", "api_key": LITERAL_CANARY}
    created = staff_api.post("/api/providers/", body, format="json")
    assert created.status_code == 201 and created.json()["api_key_hint"] == "…" + LITERAL_CANARY[-4:]
    seen.response("POST created with a key", created)

    # Admin: actions, every changelist, every change form, a refused form that re-renders.
    admin = Client()
    admin.force_login(staff)
    ids = [str(p.pk) for p in canary_providers]
    for action in ("test_connection", "run_health_check"):
        response = admin.post("/admin/providers/provider/", {"action": action, "_selected_action": ids}, follow=True)
        seen.response(f"admin action {action}", response)
    pages = [
        "/admin/",
        "/admin/providers/provider/",
        "/admin/providers/attempt/",
        "/admin/aiticker/tick/",
        "/admin/aiticker/message/",
        "/admin/plugins/plugin/",
        "/admin/providers/provider/?q=canary",
        "/admin/providers/attempt/?q=Bearer",
    ]
    pages += [f"/admin/providers/provider/{p.pk}/change/" for p in Provider.objects.all()]
    pages += [f"/admin/providers/attempt/{a.pk}/change/" for a in Attempt.objects.all()]
    pages += [f"/admin/aiticker/tick/{t.pk}/change/" for t in Tick.objects.all()]
    for page in pages:
        response = admin.get(page)
        assert response.status_code == 200, (page, response.status_code)
        seen.response(page, response)
    form = {
        "name": "Echo literal",
        "plugin": str(echo_literal.plugin_id),
        "model": "fault-model",
        "api_key": LITERAL_CANARY,
        "temperature": "9",
        "max_tokens": "10",
        "timeout": "5",
        "priority": "1",
        "extra_params": "{}",
        "extra_headers": "{}",
    }
    rerendered = admin.post(f"/admin/providers/provider/{echo_literal.pk}/change/", form)
    assert rerendered.status_code == 200 and "temperature" in rerendered.context["adminform"].form.errors
    seen.response("admin form re-rendered with errors", rerendered)

    # Commands.
    out, err = io.StringIO(), io.StringIO()
    call_command("exportproviders", stdout=out, stderr=err)
    seen.add("exportproviders stdout", out.getvalue())
    seen.add("exportproviders stderr", err.getvalue())
    assert '"${AITICKER_CANARY_REFERENCE}"' in out.getvalue()
    out = io.StringIO()
    with pytest.raises(CommandError) as down:
        call_command("checkproviders", stdout=out)
    seen.add("checkproviders stdout", out.getvalue())
    seen.add("checkproviders error", str(down.value))
    assert "Echo literal" in out.getvalue()

    # A DEBUG=False server error whose exception text quotes a key: the page is generic, the log is masked.
    def explode():
        raise RuntimeError(f"upstream refused Authorization: Bearer {LITERAL_CANARY} ({REFERENCE_CANARY})")

    crash = Client(raise_request_exception=False)
    original = views.current_ticker
    views.current_ticker = explode
    try:
        page = crash.get("/")
    finally:
        views.current_ticker = original
    assert page.status_code == 500
    seen.response("500 page", page)

    # Stored texts: attempts, provider state, ticks, messages (every column but the encrypted key).
    attempts = list(Attempt.objects.values())
    assert any(a["error_kind"] == "auth" and a["error"] for a in attempts)
    assert any("bad credentials" in a["error"] for a in attempts), "the echoed body should be in the error, masked"
    seen.add("Attempt rows", json.dumps(attempts, default=str))
    seen.add("Provider rows", json.dumps(list(Provider.objects.values()), default=str))
    seen.add("Tick rows", json.dumps(list(Tick.objects.values()), default=str))
    seen.add("Message rows", json.dumps(list(Message.objects.values()), default=str))

    # The log: what the configured console handler wrote, and every record as tests capture it.
    console = console_output.getvalue()
    assert "RuntimeError" in console and "provider=Echo literal" in console  # it really captured the run
    seen.add("console handler output", console)
    seen.add("caplog", caplog.text)
    seen.add("caplog messages", "\n".join(r.getMessage() for r in caplog.records))

    seen.assert_clean()
