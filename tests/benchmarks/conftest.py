"""Fixtures of the benchmark tests: a clean per-process state and a scripted provider."""

from __future__ import annotations

import pytest

from aiticker.models import TickerSettings
from plugins.models import Plugin
from providers import runtime
from providers.models import Provider
from tests.aiticker import fakes


@pytest.fixture
def scripted_provider(db, monkeypatch):
    """``scripted_provider(**extra_params)``: the one enabled provider, on the scripted test plugin; reuse off."""
    original = runtime.load_plugin
    monkeypatch.setattr(runtime, "load_plugin", lambda key: fakes.ScriptedPlugin if key == fakes.KEY else original(key))
    plugin, _ = Plugin.objects.update_or_create(
        key=fakes.KEY,
        defaults={"name": "Scripted", "source": Plugin.Source.CUSTOM, "status": Plugin.Status.VALID, "enabled": True},
    )
    config = TickerSettings.load()
    config.reuse_probability = 0.0
    config.save()

    def make(**extra_params) -> Provider:
        return Provider.objects.create(name="scripted", plugin=plugin, model="scripted-1", extra_params=extra_params)

    return make
