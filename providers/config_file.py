"""Import and export providers in the plugin guide's ``plugin_config.json`` format.

::

    {"plugins": {"<entry>": {"plugin": "<plugin key, optional>", "enabled": true,
                             "config": {"name": ..., "api_key": "${VAR}", "base_url": ..., "model": ..., ...}}}}

An import is all or nothing: every entry is resolved and validated (by the Provider model's own rules) before
anything is written, and an error names the offending key path (``plugins.my_provider.config.temperature``).
Providers are matched by name (``config.name``, else the entry key), so importing twice changes nothing.
"""

from __future__ import annotations

import json
import logging
import re
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from plugins.models import Plugin

from . import secrets
from .models import Provider

logger = logging.getLogger(__name__)

__all__ = ["ConfigFileError", "ImportReport", "export_providers", "import_providers", "read_config_file"]

ENTRY_KEYS = ("plugin", "enabled", "config")
#: Field name -> accepted JSON types. Booleans are refused where numbers are expected (True is an int in Python).
CONFIG_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "api_key": (str,),
    "base_url": (str,),
    "model": (str,),
    "max_tokens": (int,),
    "temperature": (int, float),
    "timeout": (int, float),
    "priority": (int,),
    "extra_params": (dict,),
    "extra_headers": (dict,),
    "notes": (str,),
}
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", dict: "a JSON object", bool: "true or false"}


class ConfigFileError(ValueError):
    """The file cannot be imported; ``errors`` lists ``(key path, message)`` pairs, all of them."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" if path else message for path, message in errors))


@dataclass
class ImportItem:
    entry: str
    name: str
    action: str  # created / updated / unchanged / skipped
    provider: Provider
    changed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    enable_plugin: bool = False


@dataclass
class ImportReport:
    items: list[ImportItem]
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(a)} {a}" for a in ("created", "updated", "unchanged", "skipped"))
        return f"{counts}{' (dry run, nothing written)' if self.dry_run else ''}"


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse the file, turning every way it can be unreadable into one :class:`ConfigFileError` line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError([("", f"{path}: file not found")]) from None
    except IsADirectoryError:
        raise ConfigFileError([("", f"{path}: is a directory, not a file")]) from None
    except UnicodeDecodeError:
        raise ConfigFileError([("", f"{path}: not UTF-8 text")]) from None
    except OSError as exc:
        raise ConfigFileError([("", f"{path}: cannot be read ({exc.strerror})")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            [("", f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None


def import_providers(source: str | Path | dict, *, dry_run: bool = False, missing_only: bool = False) -> ImportReport:
    """Create or update providers from a file (path) or its parsed content; atomic, idempotent by name.

    ``missing_only`` creates providers that do not exist yet and leaves existing ones untouched (what
    ``make run`` uses, so an admin's changes are never overwritten).
    """
    data = source if isinstance(source, dict) else read_config_file(source)
    items, errors = _plan(data, missing_only=missing_only)
    if errors:
        raise ConfigFileError(errors)
    report = ImportReport(items=items, dry_run=dry_run)
    if not dry_run:
        with transaction.atomic():
            for item in items:
                if item.enable_plugin:
                    Plugin.objects.filter(pk=item.provider.plugin_id).update(enabled=True)
                if item.action == "created":
                    item.provider.save()
                elif item.action == "updated":
                    # Only what the file changed: health columns written meanwhile by the loop stay intact.
                    fields = ["plugin" if f == "plugin_id" else f for f in item.changed]
                    item.provider.save(update_fields=[*fields, "updated_at"])
        logger.info("Imported providers: %s", report.summary())
    return report


def _plan(data: Any, *, missing_only: bool) -> tuple[list[ImportItem], list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        return [], [("", 'the file must hold a JSON object like {"plugins": {...}}')]
    unknown = sorted(set(data) - {"plugins"})
    if unknown:
        errors.append(("", f"unknown top-level key(s) {', '.join(map(repr, unknown))} (allowed: 'plugins')"))
    entries = data.get("plugins")
    if not isinstance(entries, dict):
        errors.append(("plugins", "required, a JSON object of entries keyed by name"))
        return [], errors
    plugins = list(Plugin.objects.all())
    items: list[ImportItem] = []
    seen_names: dict[str, str] = {}
    for entry, body in entries.items():
        item = _plan_entry(entry, body, plugins, errors, missing_only=missing_only)
        if item is None:
            continue
        if item.name in seen_names:
            errors.append(
                (f"plugins.{entry}.config.name", f"{item.name!r} is also used by plugins.{seen_names[item.name]}")
            )
            continue
        seen_names[item.name] = entry
        items.append(item)
    return items, errors


def _plan_entry(
    entry: str, body: Any, plugins: list[Plugin], errors: list[tuple[str, str]], *, missing_only: bool
) -> ImportItem | None:
    where = f"plugins.{entry}"
    if not isinstance(body, dict):
        errors.append((where, 'must be a JSON object with "enabled" and "config"'))
        return None
    before = len(errors)
    for key in sorted(set(body) - set(ENTRY_KEYS)):
        errors.append((f"{where}.{key}", f"unknown key (allowed: {', '.join(ENTRY_KEYS)})"))
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.append((f"{where}.enabled", "must be true or false"))
    config = body.get("config")
    if not isinstance(config, dict):
        errors.append((f"{where}.config", "required, a JSON object"))
        return None
    for key, value in config.items():
        expected = CONFIG_FIELDS.get(key)
        if expected is None:
            errors.append((f"{where}.config.{key}", f"unknown key (allowed: {', '.join(CONFIG_FIELDS)})"))
        elif isinstance(value, bool) or not isinstance(value, expected):
            errors.append(
                (f"{where}.config.{key}", f"must be {_TYPE_NAMES[expected[-1]]}, not {json.dumps(value)[:40]}")
            )
    plugin = _resolve_plugin(entry, body.get("plugin"), plugins, errors)
    if plugin is None or len(errors) > before:
        return None

    name = (config.get("name") or entry).strip()
    existing = Provider.objects.select_related("plugin").filter(name=name).first()
    if existing is not None and missing_only:
        return ImportItem(entry=entry, name=name, action="skipped", provider=existing)
    provider = copy(existing) if existing is not None else Provider(name=name, model=plugin.default_model)
    provider.plugin = plugin
    item = ImportItem(entry=entry, name=name, action="created" if existing is None else "updated", provider=provider)
    for key, value in config.items():
        if key == "api_key":
            value = _api_key_to_store(value, existing)
        setattr(provider, key, value)
    provider.enabled = enabled
    if enabled and not plugin.is_usable:
        if plugin.status == Plugin.Status.VALID:
            item.enable_plugin = True
            plugin.enabled = True  # in memory, so the model's rule sees the plugin as it will be once saved
            item.warnings.append(f"enables the plugin {plugin.key}")
        else:
            provider.enabled = False
            item.warnings.append(f"stored disabled: the plugin {plugin.key} is {plugin.get_status_display().lower()}")
    try:
        provider.full_clean(validate_unique=False)
    except ValidationError as exc:
        for field_name, messages in exc.message_dict.items():
            path = f"{where}.enabled" if field_name == "enabled" else f"{where}.config.{field_name}"
            errors.extend((path, message) for message in messages)
        return None
    if existing is not None:
        item.changed = [
            f for f in ("plugin_id", "enabled", *CONFIG_FIELDS) if getattr(existing, f) != getattr(provider, f)
        ]
        item.action = "updated" if item.changed else "unchanged"
    return item


def _api_key_to_store(value: str, existing: Provider | None) -> str:
    """Keep the stored token when the file holds the same literal, so re-importing is not a change."""
    value = value.strip()
    if existing is not None and secrets.is_encrypted(existing.api_key) and value and not secrets.reference_name(value):
        try:
            if secrets.decrypt(existing.api_key) == value:
                return existing.api_key
        except secrets.SecretError:
            pass
    return value


def _normalise(text: str) -> str:
    text = re.sub(r"[^a-z0-9]", "", text.lower())
    for suffix in ("provider", "plugin"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
    return text


def _names_of(plugin: Plugin) -> set[str]:
    module, _, attribute = plugin.key.partition(":")
    names = {plugin.key, module, module.rsplit(".", 1)[-1], attribute, plugin.name, plugin.provider_name}
    return {_normalise(n) for n in names if n}


def _resolve_plugin(entry: str, key: Any, plugins: list[Plugin], errors: list[tuple[str, str]]) -> Plugin | None:
    """The entry's plugin: by its explicit ``plugin`` key, else by matching the entry name against plugins."""
    if key is not None:
        if not isinstance(key, str):
            errors.append((f"plugins.{entry}.plugin", "must be a plugin key string"))
            return None
        match = next((p for p in plugins if p.key == key), None)
        if match is None:
            errors.append((f"plugins.{entry}.plugin", f"unknown plugin {key!r} (see manage.py syncplugins)"))
        return match
    wanted = _normalise(entry)
    matches = [p for p in plugins if wanted and wanted in _names_of(p)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        errors.append((f"plugins.{entry}", 'no plugin matches this name; add "plugin": "<module.path:Attribute>"'))
    else:
        keys = ", ".join(sorted(p.key for p in matches))
        errors.append((f"plugins.{entry}", f'matches several plugins ({keys}); add "plugin" to choose one'))
    return None


def export_providers(providers=None) -> tuple[dict[str, Any], list[str]]:
    """The providers as a plugin_config.json document, plus warnings. Never writes a literal key.

    A stored ``${VAR}`` is written as is; a literal key is left out and listed in the warnings (re-importing
    the file then keeps the stored key; elsewhere the plugin's conventional variable applies).
    """
    providers = (
        Provider.objects.select_related("plugin").order_by("priority", "name") if providers is None else providers
    )
    document: dict[str, Any] = {}
    warnings: list[str] = []
    for provider in providers:
        entry = _unique_entry(provider.name, document)
        config: dict[str, Any] = {"name": provider.name}
        stored = provider.api_key
        if secrets.reference_name(stored):
            config["api_key"] = stored
        elif stored:
            # Left out rather than replaced by a reference: importing this file back keeps the stored key, and
            # on another machine a blank key falls back to the plugin's conventional variable anyway.
            fallback = f"${{{provider.plugin.api_key_env}}}" if provider.plugin.api_key_env else "an api_key"
            warnings.append(f"{provider.name}: its literal key was not exported; elsewhere, set {fallback}")
        if provider.base_url:
            config["base_url"] = provider.base_url
        config.update(
            model=provider.model,
            max_tokens=provider.max_tokens,
            temperature=provider.temperature,
            timeout=provider.timeout,
            priority=provider.priority,
        )
        for optional in ("extra_params", "extra_headers", "notes"):
            if getattr(provider, optional):
                config[optional] = getattr(provider, optional)
        document[entry] = {"plugin": provider.plugin.key, "enabled": provider.enabled, "config": config}
    return {"plugins": document}, warnings


def _unique_entry(name: str, taken: dict[str, Any]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "provider"
    entry, n = base, 2
    while entry in taken:
        entry, n = f"{base}_{n}", n + 1
    return entry
