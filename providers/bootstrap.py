"""First-run setup of providers, run by ``make run`` (``manage.py setupproviders``); safe to run every start.

1. Import ``settings.AITICKER_PLUGIN_CONFIG`` when the file exists, creating missing providers only.
2. For each builtin plugin whose conventional key variable is set (OPENROUTER_API_KEY, …) and that has no
   provider yet, create an enabled provider that reads the key from that variable.
3. If no provider exists at all, create the offline demo provider on the mock plugin, so a fresh checkout
   shows messages without any key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction

from plugins.models import Plugin

from .config_file import import_providers
from .models import Provider

logger = logging.getLogger(__name__)

__all__ = ["DEMO_PROVIDER_NAME", "MOCK_PLUGIN_KEY", "setup_providers"]

MOCK_PLUGIN_KEY = "plugins.custom.mock_provider:MockPlugin"
DEMO_PROVIDER_NAME = "Mock (offline demo)"


def setup_providers(config_path: str | Path | None = None) -> list[str]:
    """Do the three steps above; returns one line per thing done. Raises ConfigFileError for a bad file."""
    done: list[str] = []
    path = Path(config_path or settings.AITICKER_PLUGIN_CONFIG)
    if path.is_file():
        report = import_providers(path, missing_only=True)
        for item in report.items:
            if item.action == "created":
                extra = f" ({'; '.join(item.warnings)})" if item.warnings else ""
                done.append(f"Created provider {item.name!r} from {path.name}{extra}")
    with transaction.atomic():
        done.extend(_providers_from_environment())
        if not Provider.objects.exists():
            done.extend(_demo_provider())
    for line in done:
        logger.info(line)
    return done


def _providers_from_environment() -> list[str]:
    done = []
    builtins = Plugin.objects.filter(source=Plugin.Source.BUILTIN, status=Plugin.Status.VALID).exclude(api_key_env="")
    for plugin in builtins.order_by("name"):
        if not os.environ.get(plugin.api_key_env) or plugin.providers.exists():
            continue
        name = _free_name(plugin.provider_name or plugin.name or plugin.key)
        _enable(plugin)
        # The key stays blank: the provider reads the variable at every build, so rotating it needs no edit.
        Provider.objects.create(name=name, plugin=plugin, model=plugin.default_model or "default", enabled=True)
        done.append(f"Created provider {name!r} using {plugin.api_key_env} from the environment")
    return done


def _demo_provider() -> list[str]:
    plugin = Plugin.objects.filter(key=MOCK_PLUGIN_KEY, status=Plugin.Status.VALID).first()
    if plugin is None:
        return [f"No provider configured and the mock plugin {MOCK_PLUGIN_KEY} is not available"]
    _enable(plugin)
    Provider.objects.create(
        name=_free_name(DEMO_PROVIDER_NAME),
        plugin=plugin,
        model=plugin.default_model or "mock-model",
        enabled=True,
        priority=1000,
        notes="Created automatically because no provider was configured. Delete it once a real provider works.",
    )
    return [f"Created the demo provider {DEMO_PROVIDER_NAME!r} (offline, no key needed)"]


def _enable(plugin: Plugin) -> None:
    if not plugin.enabled:
        plugin.enabled = True
        plugin.save(update_fields=["enabled"])


def _free_name(name: str) -> str:
    candidate, n = name[:100], 2
    while Provider.objects.filter(name=candidate).exists():
        candidate, n = f"{name[:95]} {n}", n + 1
    return candidate
