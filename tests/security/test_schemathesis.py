"""Property-based API testing with schemathesis, driven by the API's own OpenAPI schema at /api/schema/.

Every operation gets a bounded number of generated requests (valid and invalid), sent with a staff token so
the authenticated code runs; each response must not be a server error and must match the schema. The examples
are derandomized, so a failure reproduces on every run.

Left out: the two operations that rescan plugin code from disk (``/api/plugins/rescan``,
``/api/providers/reload``). They take no input, re-import every plugin module per example, and have their own
tests; the operations that call providers run against the offline mock plugin.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from aiticker.models import Message, Tick
from providers.models import Provider

from .conftest import MOCK_KEY

MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).exclude(
    path_regex=r"/(rescan|reload)/?$"
)

#: Ids of the rows the ``seeded`` fixture created in this test's database (sequences differ per backend).
SEEDED: dict[str, int] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the generated ids and keys name a row that exists, so the code past the 404 is fuzzed too."""
    if not isinstance(path_parameters, dict):  # negative generation may replace the whole mapping
        return st.just(path_parameters)
    real = dict(path_parameters)
    if "id" in real:
        real["id"] = SEEDED["message" if context.operation.path.startswith("/api/messages") else "provider"]
    if "key" in real:
        real["key"] = MOCK_KEY
    return st.sampled_from([path_parameters, real])


@schema.hook
def flatmap_body(context, body):
    """Half the generated provider bodies name a plugin that exists (the mock), so they can pass validation."""
    if isinstance(body, dict) and "plugin" in body:
        return st.sampled_from([body, {**body, "plugin": MOCK_KEY}])
    return st.just(body)


@pytest.fixture
def in_test_transaction():
    """Keep the test's connection across requests, as Django's test client does.

    schemathesis calls the WSGI app directly, so Django's request signals close "old" connections after each
    request; inside the test-wide transaction PostgreSQL would then see its connection closed.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(mock_plugin, staff_token, in_test_transaction):
    """A provider on the offline mock and a message shown just now, so id 1 routes find something and the
    health endpoint reports a live loop (200; its 503 "stale" answer is by design and tested elsewhere)."""
    cache.clear()  # the public throttle counts live in the cache; other tests must not use up this test's quota
    provider = Provider.objects.create(name="Mock", plugin=mock_plugin, model="mock-1", timeout=5)
    message = Message.objects.create(content="An archived message.", provider_name="Mock", model_name="mock-1")
    SEEDED.update(provider=provider.pk, message=message.pk)
    Tick.objects.create(started_at=timezone.now(), message=message, source=Tick.Source.FRESH)
    return {"Authorization": f"Token {staff_token}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_errors_and_answers_as_documented(case, seeded):
    case.call_and_validate(
        headers=seeded,
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.response_schema_conformance,
        ],
    )


def test_the_fuzzed_schema_covers_every_writable_operation():
    """If an endpoint vanished from the schema, schemathesis would silently stop testing it."""
    operations = {(result.ok().method.upper(), result.ok().path.rstrip("/")) for result in schema.get_all_operations()}
    expected = {
        ("GET", "/api/plugins"),
        ("PATCH", "/api/plugins/{key}"),
        ("GET", "/api/providers"),
        ("POST", "/api/providers"),
        ("PUT", "/api/providers/{id}"),
        ("PATCH", "/api/providers/{id}"),
        ("DELETE", "/api/providers/{id}"),
        ("POST", "/api/providers/{id}/test"),
        ("POST", "/api/providers/{id}/health"),
        ("GET", "/api/messages"),
        ("GET", "/api/ticker"),
        ("GET", "/api/health"),
    }
    assert expected <= operations, expected - operations
