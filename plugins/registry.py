"""The in-memory registry of loaded, valid plugins that providers are built from.

``registry.get(key)`` is called from request threads and the ticker loop while an admin may trigger a rescan.
A rescan builds a complete new mapping and swaps it in with one assignment under the lock, so a reader sees
either the old registry or the new one, never a half-built one; readers of a loaded registry do not wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from plugins.base_provider import AIProviderPlugin
from plugins.discovery import Candidate, discover
from plugins.validation import STATUS_VALID, PluginDeclaration, PluginError, read_metadata, validate_plugin

logger = logging.getLogger(__name__)


@dataclass
class ScannedPlugin:
    """A discovered plugin after validation: what the Plugin row of ``key`` should say."""

    key: str
    source: str
    module: str
    file_path: str
    status: str
    error: str = ""
    declaration: PluginDeclaration = field(default_factory=PluginDeclaration)
    plugin: AIProviderPlugin | None = None

    @property
    def is_valid(self) -> bool:
        return self.status == STATUS_VALID


def evaluate(candidate: Candidate) -> ScannedPlugin:
    """Validate one discovered candidate; never raises, whatever the plugin's code does."""
    scanned = ScannedPlugin(
        key=candidate.key,
        source=candidate.source,
        module=candidate.module,
        file_path=candidate.file_path,
        status=STATUS_VALID,
        plugin=candidate.plugin,
    )
    if candidate.error is not None:
        scanned.status, scanned.error = candidate.error.status, str(candidate.error)
        return scanned
    try:
        scanned.declaration = validate_plugin(candidate.plugin)
    except PluginError as exc:
        scanned.status, scanned.error = exc.status, str(exc)
    except Exception as exc:  # a metadata property that raises, say: still one invalid plugin, not a failed scan
        logger.exception("Validating plugin %s raised", candidate.key)
        scanned.status, scanned.error = PluginError.status, f"validation raised {type(exc).__name__}: {exc}"
    if not scanned.is_valid:
        try:
            scanned.declaration = read_metadata(candidate.plugin)
        except Exception:
            logger.debug("Metadata of invalid plugin %s unreadable", candidate.key, exc_info=True)
        logger.warning("Plugin %s is %s: %s", candidate.key, scanned.status, scanned.error)
    return scanned


def scan() -> list[ScannedPlugin]:
    """Discover and validate every plugin, without touching the registry or the database."""
    return [evaluate(candidate) for candidate in discover()]


class PluginRegistry:
    """Valid plugins by key. Loads lazily on first use; :meth:`rescan` re-imports them from disk."""

    def __init__(self) -> None:
        # Re-entrant: a plugin module imported during a scan may itself look up the registry.
        self._lock = threading.RLock()
        self._plugins: Mapping[str, AIProviderPlugin] | None = None
        self._scanned: tuple[ScannedPlugin, ...] = ()

    def get(self, key: str) -> AIProviderPlugin | None:
        """The valid plugin registered under ``key``, or None (unknown, invalid or vanished)."""
        return self._loaded().get(key)

    def all(self) -> Mapping[str, AIProviderPlugin]:
        """A read-only snapshot of every valid plugin by key."""
        return self._loaded()

    def scanned(self) -> tuple[ScannedPlugin, ...]:
        """Every plugin the last scan found, valid or not (loads first if needed)."""
        self._loaded()
        return self._scanned

    def rescan(self) -> list[ScannedPlugin]:
        """Re-import all plugins from disk and swap in the new registry; returns the full scan result."""
        with self._lock:
            scanned = scan()
            plugins = {item.key: item.plugin for item in scanned if item.is_valid and item.plugin is not None}
            self._scanned = tuple(scanned)
            self._plugins = MappingProxyType(plugins)
        logger.info("Plugin registry loaded: %d valid of %d found", len(plugins), len(scanned))
        return scanned

    def clear(self) -> None:
        """Forget the loaded plugins; the next lookup scans again."""
        with self._lock:
            self._plugins = None
            self._scanned = ()

    def _loaded(self) -> Mapping[str, AIProviderPlugin]:
        plugins = self._plugins
        if plugins is None:
            with self._lock:
                if self._plugins is None:
                    self.rescan()
                plugins = self._plugins
        return plugins


registry = PluginRegistry()
