"""``manage.py setupproviders``: first-run provider setup, run by ``make run`` after migrate."""

from django.core.management.base import BaseCommand, CommandError

from providers import runtime
from providers.bootstrap import setup_providers
from providers.config_file import ConfigFileError


class Command(BaseCommand):
    help = (
        "Sync plugins, import AITICKER_PLUGIN_CONFIG when present (missing providers only), create a provider "
        "for each builtin whose key variable is set, and a mock demo provider when none exists. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--config", help="plugin_config.json to import (default: AITICKER_PLUGIN_CONFIG).")
        parser.add_argument("--skip-sync", action="store_true", help="Do not rescan plugins first.")

    def handle(self, *args, config=None, skip_sync=False, **options):
        if not skip_sync:
            runtime.sync_plugins()
        try:
            done = setup_providers(config)
        except ConfigFileError as exc:
            raise CommandError(f"Provider setup stopped: {exc}") from None
        for line in done:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Providers ready." if done else "Providers ready (nothing to do)."))
