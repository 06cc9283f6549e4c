"""Fixtures of the ticker tests: scripted providers, a clean archive index and payload cache."""

from __future__ import annotations

import random

import pytest

from aiticker.models import Message, Tick
from plugins.models import Plugin
from providers import runtime
from providers.models import Provider
from tests.support.ticker import configure_ticker

from . import fakes

#: Answers no two of which are near-duplicates of each other.
DISTINCT = [
    "Octopuses have three hearts and blue blood.",
    "Honey found in ancient tombs was still edible.",
    "A day on Venus is longer than its year.",
    "Sharks existed before trees did.",
    "Wombats produce cube-shaped droppings.",
    "Sea otters hold hands while they sleep.",
    "The first computer bug was an actual moth.",
    "Butterflies taste with their feet.",
    "Koalas sleep up to 22 hours a day.",
    "Crows remember human faces for years.",
]


@pytest.fixture(autouse=True)
def _fresh_fake_calls():
    """The scripted fake records its calls per process (the rest of the process state: tests/conftest.py)."""
    fakes.CALLS.clear()


@pytest.fixture
def scripted_plugin(db, monkeypatch) -> Plugin:
    """A valid, enabled Plugin row whose code is ``fakes.ScriptedPlugin`` (served through the runtime's seam)."""
    original = runtime.load_plugin
    monkeypatch.setattr(runtime, "load_plugin", lambda key: fakes.ScriptedPlugin if key == fakes.KEY else original(key))
    plugin, _ = Plugin.objects.update_or_create(
        key=fakes.KEY,
        defaults={
            "name": "Scripted",
            "version": "1.0.0",
            "provider_name": "Scripted",
            "default_model": "scripted-1",
            "source": Plugin.Source.CUSTOM,
            "status": Plugin.Status.VALID,
            "enabled": True,
        },
    )
    return plugin


@pytest.fixture
def make_provider(scripted_plugin):
    """``make_provider(name, priority=…, **extra_params)``: an enabled provider on the scripted plugin."""

    def make(name: str, priority: int = 100, **extra_params) -> Provider:
        return Provider.objects.create(
            name=name, plugin=scripted_plugin, model="scripted-1", priority=priority, extra_params=extra_params
        )

    return make


@pytest.fixture
def ticker_settings(db):
    """The settings row with reuse off (tests opt in), so a tick asks the providers unless told otherwise."""

    configure_ticker()
    return configure_ticker


@pytest.fixture
def archive(db):
    """``archive(*texts)``: stored messages, oldest first, as if earlier ticks had produced them."""

    def make(*texts: str) -> list[Message]:
        return [Message.objects.create(content=text, provider_name="earlier", model_name="m") for text in texts]

    return make


def show(*messages: Message) -> None:
    """Record displays of ``messages`` in order (the last one becomes the current message)."""
    from django.utils import timezone

    for message in messages:
        Tick.objects.create(started_at=timezone.now(), message=message, source=Tick.Source.FRESH)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1234)
