"""``manage.py runticker``: the background loop that keeps the ticker's message fresh."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aiticker.loop import LeaseBusy, LoopOptions, TickerLoop, pending_migrations


def seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be greater than 0")
    return number


def count(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


class Command(BaseCommand):
    help = (
        "Run the ticker loop: one tick every interval (from the ticker settings, or --interval), provider health "
        "checks between ticks. Only one loop ticks per database; others wait as standbys. SIGINT/SIGTERM stop "
        "it after the current tick."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=seconds, help="Seconds between ticks, overriding the ticker settings.")
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run one tick and exit; fails if another runticker holds the lease.",
        )
        parser.add_argument("--iterations", type=count, help="Stop after this many ticks.")

    def handle(self, *args, **options) -> None:
        pending = pending_migrations()
        if pending:
            raise CommandError(
                f"The database has {len(pending)} unapplied migration(s); run `manage.py migrate` first."
            )
        stop = threading.Event()
        previous = {}

        def request_stop(signum, frame):  # finish the current tick, then leave the loop
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, request_stop)
        loop = TickerLoop(
            LoopOptions(interval=options["interval"], iterations=options["iterations"], once=options["once"]),
            stop=stop,
        )
        try:
            ticks = loop.run()
        except LeaseBusy as exc:
            raise CommandError(f"Not ticking: {exc}.") from None
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(self.style.SUCCESS(f"runticker stopped after {ticks} tick(s)."))
