"""``manage.py checkproviders``: health of every enabled provider, as a table; fails if any is down."""

from django.core.management.base import BaseCommand, CommandError

from providers.health import check_providers


class Command(BaseCommand):
    help = (
        "Run the (free) health check of every enabled provider whose plugin is usable, concurrently, and print "
        "a table. Exits non-zero when any provider is down."
    )

    def handle(self, *args, **options):
        outcomes = check_providers()
        if not outcomes:
            self.stdout.write(self.style.WARNING("No enabled provider to check."))
            return
        headers = ("NAME", "PLUGIN", "MODEL", "HEALTH", "LATENCY", "ERROR")
        rows = [
            (
                o.provider.name,
                o.provider.plugin.name or o.provider.plugin.key,
                o.model,
                "up" if o.ok else "DOWN",
                f"{o.latency_ms} ms",
                f"{o.error_kind}: {o.error}"[:100] if o.error_kind else "",
            )
            for o in outcomes
        ]
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
        line = "  ".join(f"{{:<{width}}}" for width in widths)
        self.stdout.write(line.format(*headers).rstrip())
        for row, outcome in zip(rows, outcomes, strict=True):
            text = line.format(*row).rstrip()
            self.stdout.write(text if outcome.ok else self.style.ERROR(text))
        down = [o.provider.name for o in outcomes if not o.ok]
        if down:
            raise CommandError(f"{len(down)} of {len(outcomes)} provider(s) down: {', '.join(down)}")
        self.stdout.write(self.style.SUCCESS(f"All {len(outcomes)} provider(s) healthy."))
