"""``manage.py checkplugin``: the plugin guide's "Test your plugin" script, for any plugin key or file."""

from django.core.management.base import BaseCommand, CommandError

from plugins.selftest import PluginNotFound, check_plugin, find_plugins


class Command(BaseCommand):
    help = (
        "Validate a plugin, then run its initialize(), health_check() and generate_message(), printing one "
        "line per step. KEY_OR_PATH is a plugin key (module.path:Attr) or a .py file. Exits non-zero if any "
        "step fails. Note: generate_message() makes one real (possibly paid) call to the provider."
    )

    def add_arguments(self, parser):
        parser.add_argument("key_or_path", metavar="KEY_OR_PATH", help="plugin key, or path to a .py file")
        parser.add_argument("--api-key", help="API key (default: the plugin's API-key environment variable)")
        parser.add_argument("--base-url", help="base URL (default: the plugin's default_base_url)")
        parser.add_argument("--model", help="model (default: the plugin's default or first supported model)")

    def handle(self, *args, key_or_path, api_key=None, base_url=None, model=None, **options):
        try:
            plugins = find_plugins(key_or_path)
        except PluginNotFound as exc:
            raise CommandError(str(exc)) from None
        failed = 0
        for scanned in plugins:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{scanned.key}"))
            for result in check_plugin(scanned, api_key=api_key, base_url=base_url, model=model):
                if result.ok:
                    self.stdout.write(self.style.SUCCESS(f"✅ {result.step}: {result.detail}"))
                else:
                    failed += 1
                    self.stdout.write(self.style.ERROR(f"❌ {result.step}: {result.detail}"))
        if failed:
            raise CommandError(f"{failed} check(s) failed for {key_or_path}")
