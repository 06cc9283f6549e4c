"""``manage.py importproviders FILE``: create or update providers from a plugin_config.json."""

from django.core.management.base import BaseCommand, CommandError

from providers.config_file import ConfigFileError, import_providers


class Command(BaseCommand):
    help = (
        "Import providers from a plugin_config.json (the plugin guide's format). Idempotent by provider name; "
        "a bad file is rejected as a whole, naming the offending key, and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the JSON file.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, write nothing.")
        parser.add_argument(
            "--missing-only", action="store_true", help="Only create providers that do not exist; never update."
        )

    def handle(self, *args, file, dry_run, missing_only, **options):
        try:
            report = import_providers(file, dry_run=dry_run, missing_only=missing_only)
        except ConfigFileError as exc:
            raise CommandError(f"{file}: {exc}" if not str(exc).startswith(str(file)) else str(exc)) from None
        for item in report.items:
            detail = f" ({', '.join(item.changed)})" if item.changed else ""
            notes = f" — {'; '.join(item.warnings)}" if item.warnings else ""
            self.stdout.write(f"{item.action:<9} {item.name}{detail}{notes}")
        self.stdout.write(self.style.SUCCESS(report.summary()))
