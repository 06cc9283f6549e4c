"""``manage.py syncplugins``: rescan plugin code and update the Plugin table."""

from django.core.management.base import BaseCommand

from plugins.models import Plugin
from plugins.sync import sync_plugins


class Command(BaseCommand):
    help = (
        "Discover plugins (plugins/builtin, plugins/custom, AITICKER_PLUGIN_DIRS, installed packages), validate "
        "them and update the Plugin table. Keeps each plugin's enabled choice; never deletes a row."
    )

    def handle(self, *args, **options):
        report = sync_plugins()
        headers = ("KEY", "NAME", "VERSION", "STATUS", "ENABLED")
        rows = [(e.key, e.name, e.version, e.status, "yes" if e.enabled else "no") for e in report.entries]
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
        line = "  ".join(f"{{:<{width}}}" for width in widths)
        self.stdout.write(line.format(*headers).rstrip())
        for row in rows:
            text = line.format(*row).rstrip()
            self.stdout.write(text if row[3] == Plugin.Status.VALID else self.style.WARNING(text))
        errors = [e for e in report.entries if e.error]
        if errors:
            self.stdout.write("")
            for entry in errors:
                self.stdout.write(self.style.ERROR(f"{entry.key}: {entry.error}"))
        self.stdout.write(self.style.SUCCESS(report.summary()))
