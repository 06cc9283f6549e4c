"""``manage.py exportproviders``: write the providers as a plugin_config.json, without literal keys."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from providers.config_file import export_providers


class Command(BaseCommand):
    help = (
        "Export every provider in the plugin guide's plugin_config.json format. Literal API keys are never "
        "written: a ${VAR} reference is kept, a literal becomes the plugin's conventional ${VAR} (or is left out)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, output=None, **options):
        document, warnings = export_providers()
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        for warning in warnings:
            self.stderr.write(self.style.WARNING(warning))
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from None
        self.stdout.write(self.style.SUCCESS(f"Exported {len(document['plugins'])} provider(s) to {output}"))
