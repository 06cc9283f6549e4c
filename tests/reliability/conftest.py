"""Fixtures of the reliability tests: the fault server, providers on the real OpenAI-compatible plugin.

Provider faults go through the whole real stack — registry, runtime, the builtin plugin, its HTTP layer —
against real sockets on 127.0.0.1; only the far end misbehaves.
"""

from __future__ import annotations

import pytest

from plugins.models import Plugin
from providers.models import Provider
from tests.support.fault_server import FaultServer
from tests.support.ticker import configure_ticker

OPENAI_COMPATIBLE_KEY = "plugins.builtin.openai_compatible_provider:OpenAICompatiblePlugin"


@pytest.fixture(scope="module")
def fault_server():
    with FaultServer(drip_interval=1.0) as server:
        yield server


@pytest.fixture
def openai_compatible_plugin(db) -> Plugin:
    # Discovery records builtins after migrate; pin what these tests rely on (valid and enabled).
    plugin, _ = Plugin.objects.update_or_create(
        key=OPENAI_COMPATIBLE_KEY,
        defaults={
            "name": "OpenAI-compatible server",
            "provider_name": "OpenAI-compatible",
            "status": Plugin.Status.VALID,
            "enabled": True,
            "source": Plugin.Source.BUILTIN,
            "default_model": "llama3.2",
            "api_key_env": "OPENAI_COMPATIBLE_API_KEY",
        },
    )
    return plugin


@pytest.fixture
def http_provider(openai_compatible_plugin, monkeypatch):
    """``http_provider(name, base_url, priority=…, timeout=…)``: an enabled provider on the real builtin plugin."""
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)

    def make(name: str, base_url: str, *, priority: int = 100, timeout: float = 1) -> Provider:
        return Provider.objects.create(
            name=name,
            plugin=openai_compatible_plugin,
            base_url=base_url,
            model="fault-model",
            priority=priority,
            timeout=timeout,
        )

    return make


@pytest.fixture
def ticker_settings(db):
    """Reuse off, so every tick asks the providers; returns the settings row."""
    return configure_ticker()


MOCK_KEY = "plugins.custom.mock_provider:MockPlugin"


@pytest.fixture
def mock_provider(db) -> Provider:
    """An enabled provider on the real offline mock plugin; set ``extra_params["fixed"]`` to script its answer."""
    plugin, _ = Plugin.objects.update_or_create(
        key=MOCK_KEY,
        defaults={
            "name": "Mock",
            "provider_name": "Mock",
            "status": Plugin.Status.VALID,
            "enabled": True,
            "source": Plugin.Source.CUSTOM,
            "default_model": "mock-1",
        },
    )
    return Provider.objects.create(name="mock", plugin=plugin, model="mock-1", extra_params={"seed": 1})


# The browser tests reuse the ticker tests' headless Chromium fixtures (Debian's /usr/bin/chromium; skip on a
# machine without it, fail in CI).
from tests.aiticker.test_browser import browser, page  # noqa: E402, F401
