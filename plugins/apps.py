import logging

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


def sync_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Record the plugins on disk once the tables exist, so a fresh ``migrate`` leaves a usable site.

    A plugin problem must never fail ``migrate``: everything is caught and logged.
    """
    from plugins.models import Plugin
    from plugins.sync import sync_plugins

    try:
        if Plugin._meta.db_table not in connections[using].introspection.table_names():
            return
        report = sync_plugins(using=using)
    except Exception:
        logger.exception("Syncing plugins after migrate failed; run `manage.py syncplugins` to retry")
        return
    if kwargs.get("verbosity", 1) >= 1:
        stdout = kwargs.get("stdout")
        message = f"Synced plugins: {report.summary()}\n"
        if stdout is not None:
            stdout.write(message)


class PluginsConfig(AppConfig):
    name = "plugins"
    verbose_name = "Plugins"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="plugins.sync_after_migrate")
