"""Bringing the Plugin table in line with the code on disk: ``sync_plugins()``.

Called by ``manage.py syncplugins``, after ``migrate``, by the admin's "rescan" action and by
``POST /api/plugins/rescan/``. What code declares (metadata, status, error) is overwritten from the scan;
what operators chose (``enabled``) is kept. Rows are never deleted: providers point at them.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from plugins.models import DECLARED_FIELDS, Plugin
from plugins.registry import ScannedPlugin, registry

logger = logging.getLogger(__name__)


@dataclass
class SyncEntry:
    key: str
    name: str
    version: str
    source: str
    status: str
    enabled: bool
    error: str
    #: "new", "updated", "unchanged" or "vanished".
    change: str


@dataclass
class SyncReport:
    """What a sync found and changed, one entry per Plugin row it touched."""

    entries: list[SyncEntry] = field(default_factory=list)

    def _count(self, change: str) -> int:
        return sum(1 for entry in self.entries if entry.change == change)

    @property
    def created(self) -> int:
        return self._count("new")

    @property
    def updated(self) -> int:
        return self._count("updated")

    @property
    def vanished(self) -> int:
        return self._count("vanished")

    @property
    def valid(self) -> int:
        return sum(1 for entry in self.entries if entry.status == Plugin.Status.VALID)

    @property
    def problems(self) -> list[SyncEntry]:
        """Entries whose plugin is not usable because of its code (vanished ones excluded)."""
        return [e for e in self.entries if e.status not in (Plugin.Status.VALID, Plugin.Status.NOT_FOUND)]

    def summary(self) -> str:
        return (
            f"{len(self.entries)} plugins: {self.valid} valid, {len(self.problems)} with problems, "
            f"{self.created} new, {self.vanished} not found on disk"
        )

    def to_dict(self) -> dict:
        return {
            "summary": self.summary(),
            "total": len(self.entries),
            "valid": self.valid,
            "created": self.created,
            "updated": self.updated,
            "vanished": self.vanished,
            "plugins": [asdict(entry) for entry in self.entries],
        }


def sync_plugins(using: str = DEFAULT_DB_ALIAS) -> SyncReport:
    """Rescan plugins from disk, rebuild the registry and upsert one Plugin row per plugin.

    The scan (imports, possibly slow) runs before the transaction so the database is only locked for the
    short write.
    """
    scanned = registry.rescan()
    now = timezone.now()
    report = SyncReport()
    with transaction.atomic(using=using):
        existing = {row.key: row for row in Plugin.objects.using(using).select_for_update()}
        for item in _attribute_module_failures(scanned, existing):
            row = existing.pop(item.key, None)
            change = _apply_scan(row, item, now, using)
            row = row or Plugin.objects.using(using).get(key=item.key)
            report.entries.append(_entry(row, change))
        for row in existing.values():
            if row.status != Plugin.Status.NOT_FOUND:
                row.status = Plugin.Status.NOT_FOUND
                row.error = "The plugin's code was not found in the last scan (file or package removed or renamed)."
                row.save(using=using, update_fields=["status", "error"])
                logger.warning("Plugin %s was not found on disk", row.key)
                report.entries.append(_entry(row, "vanished"))
    logger.info("Plugin sync: %s", report.summary())
    return report


def _attribute_module_failures(scanned: list[ScannedPlugin], existing: dict[str, Plugin]) -> list[ScannedPlugin]:
    """Report a module that no longer imports on the rows of the plugins it used to hold.

    Discovery keys such a failure by the module alone when the broken text no longer names its plugins;
    without this, an edit gone wrong would show the plugins as vanished and a new anonymous broken row.
    """
    result = []
    for item in scanned:
        if ":" in item.key or item.is_valid:
            result.append(item)
            continue
        known = [key for key in existing if key.partition(":")[0] == item.key]
        result += [replace(item, key=key) for key in known] or [item]
    return result


def _apply_scan(row: Plugin | None, item: ScannedPlugin, now, using: str) -> str:
    values = {name: getattr(item.declaration, name) for name in DECLARED_FIELDS}
    values.update(source=item.source, file_path=item.file_path, status=item.status, error=item.error)
    if row is None:
        # A plugin seen for the first time is on when it works; a broken one can never start enabled.
        Plugin.objects.using(using).create(key=item.key, enabled=item.is_valid, last_seen=now, **values)
        logger.info("New plugin %s (%s)", item.key, item.status)
        return "new"
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    row.last_seen = now
    row.save(using=using, update_fields=[*changed, "last_seen"])
    return "updated" if changed else "unchanged"


def _entry(row: Plugin, change: str) -> SyncEntry:
    return SyncEntry(
        key=row.key,
        name=row.name,
        version=row.version,
        source=row.source,
        status=row.status,
        enabled=row.enabled,
        error=row.error,
        change=change,
    )
