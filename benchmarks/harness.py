"""What every benchmark script shares: a throw-away database, an instant provider, archive text, statistics and
the output format (a human table, then one JSON line of figures as the last line of stdout).

Each script calls :func:`setup_django` before importing anything from the project: it points ``DATABASE_URL``
at a new SQLite file in a temporary directory (never the developer's ``var/`` database), ignores the
developer's ``.env``, runs the migrations and returns the directory, which the script removes at the end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.ticker import configure_ticker, reset_process_state  # noqa: E402

#: The Plugin row key of :data:`InstantPlugin`; the runtime's ``load_plugin`` seam serves it (see
#: :func:`install_instant_plugin`), so it needs no file on disk and no registry scan.
INSTANT_KEY = "benchmarks.harness:InstantPlugin"
MOCK_KEY = "plugins.custom.mock_provider:MockPlugin"
OPENAI_COMPATIBLE_KEY = "plugins.builtin.openai_compatible_provider:OpenAICompatiblePlugin"


# --- Arguments and process setup --------------------------------------------------------------------------


def parse_args(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="Tiny sizes and durations: checks the script works (smoke tests)."
    )
    parser.add_argument("--keep-db", action="store_true", help="Keep the temporary database directory.")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def setup_django(prefix: str) -> Path:
    """Create a temporary SQLite database, configure Django for it, migrate; returns the temporary directory."""
    workdir = Path(tempfile.mkdtemp(prefix=f"aiticker-bench-{prefix}-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["AITICKER_ENV_FILE"] = ""  # the developer's .env (API keys, DATABASE_URL) must not leak in
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one INFO line per call would drown the table
    os.environ["DJANGO_SETTINGS_MODULE"] = "aiticker.settings"
    os.chdir(REPO_ROOT)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return workdir


def cleanup(workdir: Path, keep: bool = False) -> None:
    from django.db import connections

    connections.close_all()
    if keep:
        print(f"(database kept in {workdir})", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


# --- Statistics and output --------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure reported was actually observed)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    """median, p95, p99, max and mean of a list of milliseconds, rounded to 0.01 ms."""
    if not values_ms:
        return {"n": 0, "median_ms": math.nan, "p95_ms": math.nan, "p99_ms": math.nan, "max_ms": math.nan}
    return {
        "n": len(values_ms),
        "median_ms": round(statistics.median(values_ms), 2),
        "p95_ms": round(percentile(values_ms, 95), 2),
        "p99_ms": round(percentile(values_ms, 99), 2),
        "max_ms": round(max(values_ms), 2),
        "mean_ms": round(statistics.fmean(values_ms), 2),
    }


def print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(
            "  ".join(
                value.rjust(w) if _numeric(value) else value.ljust(w) for value, w in zip(row, widths, strict=True)
            )
        )
    sys.stdout.flush()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "pass" if value else "MISS"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.2f}"
    return str(value)


def _numeric(value: str) -> bool:
    try:
        float(value.replace(",", "").removesuffix("x"))
    except ValueError:
        return False
    return True


def check(value: float, limit: float) -> bool:
    """A target ``value ≤ limit`` (a NaN figure, i.e. not measured, is a miss)."""
    return not math.isnan(value) and value <= limit


def emit(benchmark: str, quick: bool, figures: dict[str, Any], targets: dict[str, Any], passed: dict[str, bool]):
    """The final stdout line: one JSON object with the figures, the targets and a pass flag per target."""
    line = {
        "benchmark": benchmark,
        "quick": quick,
        "cpu_count": os.cpu_count(),
        "figures": figures,
        "targets": targets,
        "pass": passed,
        "all_pass": all(passed.values()),
    }
    print(json.dumps(line, sort_keys=True, default=_json_default))
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


@contextmanager
def stopwatch() -> Iterable[dict[str, float]]:
    """``with stopwatch() as t: ...`` then ``t["ms"]``."""
    box = {"ms": math.nan}
    started = time.perf_counter()
    try:
        yield box
    finally:
        box["ms"] = (time.perf_counter() - started) * 1000


# --- Realistic archive text -------------------------------------------------------------------------------


def _vocabulary() -> list[str]:
    """Words with their natural frequencies, taken from the mock's deck of facts and framings."""
    from plugins.custom import mock_provider

    words: list[str] = []
    for line in [*mock_provider.FACTS, *mock_provider.FRAMINGS, *mock_provider.CLOSINGS]:
        words.extend(w.strip(".,:;!?'\"()").lower() for w in line.replace("{fact}", "").split())
    return [w for w in words if w]


class TextSource:
    """Varied, sentence-shaped English: 6–30 words drawn with natural word frequencies, one to three sentences.

    Lengths spread like real ticker messages (about 30–220 characters), so the archive index's length band
    holds a realistic share of the archive; two such messages are far below any sensible fuzzy threshold.
    """

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._words = _vocabulary()

    def sentence(self) -> str:
        count = self._random.randint(6, 30)
        words = self._random.choices(self._words, k=count)
        text = " ".join(words)
        sentences = []
        for part in self._split(text):
            sentences.append(part[:1].upper() + part[1:] + self._random.choice(".....!?"))
        return " ".join(sentences)

    def _split(self, text: str) -> list[str]:
        words = text.split()
        if len(words) < 12 or self._random.random() < 0.5:
            return [text]
        cut = self._random.randint(4, len(words) - 4)
        return [" ".join(words[:cut]), " ".join(words[cut:])]


def fill_archive(count: int, seed: int = 1, batch: int = 5000) -> int:
    """Add ``count`` archived messages, each with the display record that showed it, as earlier ticks would
    have left them (so pruning deletes old display records too, as in a full archive). Returns ``count``."""
    from datetime import timedelta

    from django.utils import timezone

    from aiticker.models import Message, Tick

    source = TextSource(seed)
    start = timezone.now() - timedelta(days=365)
    added = 0
    while added < count:
        size = min(batch, count - added)
        stamps = [start + timedelta(seconds=added + i) for i in range(size)]
        messages = Message.objects.bulk_create(
            Message(content=source.sentence(), provider_name="archive", model_name="bench", created_at=stamp)
            for stamp in stamps
        )
        Tick.objects.bulk_create(
            Tick(started_at=stamp, shown_at=stamp, message=message, source=Tick.Source.FRESH)
            for stamp, message in zip(stamps, messages, strict=True)
        )
        added += size
    return added


# --- Ticker configuration -----------------------------------------------------------------------------------


# configure_ticker and reset_process_state are shared with the tests (tests/support/ticker.py).


# --- An in-process instant provider ----------------------------------------------------------------------


class ProviderClock:
    """Time spent inside ``generate_message`` calls, so a tick's overhead is its wall time minus this."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def take(self) -> float:
        """Milliseconds accumulated since the last ``take()``."""
        spent, self.seconds = self.seconds, 0.0
        return spent * 1000


provider_clock = ProviderClock()
_instances = itertools.count(1)


def _make_instant_plugin():
    from plugins.base_provider import AIProviderPlugin, AIResponse, BaseAIProvider

    class InstantProvider(BaseAIProvider):
        """Answers at once with a fresh sentence each call (``extra_params.seed`` picks the sequence)."""

        default_model = "instant-1"

        @property
        def provider_name(self) -> str:
            return "Instant"

        @property
        def supported_models(self) -> list[str]:
            return ["instant-1"]

        def initialize(self) -> bool:
            # A rebuilt instance must not replay its predecessor's answers (they are in the archive now).
            seed = int((self.config.extra_params or {}).get("seed", 99))
            self._text = TextSource(seed * 1_000_003 + next(_instances))
            return True

        def generate_message(self, system_prompt: str, user_prompt: str):
            started = time.perf_counter()
            content = self._text.sentence()
            response = AIResponse(
                content=content,
                provider_name="Instant",
                model=self.config.model,
                usage={"prompt_tokens": 12, "completion_tokens": len(content.split())},
            )
            provider_clock.seconds += time.perf_counter() - started
            provider_clock.calls += 1
            return response

        def health_check(self) -> bool:
            return True

    return AIProviderPlugin(
        provider_class=InstantProvider,
        metadata={"name": "Instant", "version": "1.0.0", "author": "Benchmarks", "description": "Answers at once"},
    )


def install_instant_plugin():
    """Serve :data:`INSTANT_KEY` through ``providers.runtime.load_plugin`` and create its valid Plugin row."""
    from plugins.models import Plugin
    from providers import runtime

    plugin = _make_instant_plugin()
    original = runtime.load_plugin
    runtime.load_plugin = lambda key: plugin if key == INSTANT_KEY else original(key)
    row, _ = Plugin.objects.update_or_create(
        key=INSTANT_KEY,
        defaults={
            "name": "Instant",
            "version": "1.0.0",
            "provider_name": "Instant",
            "default_model": "instant-1",
            "source": Plugin.Source.CUSTOM,
            "status": Plugin.Status.VALID,
            "enabled": True,
        },
    )
    return row


def synced_plugin(key: str):
    """The Plugin row ``key`` after syncing plugins from disk (builtins and the mock); exits when unusable."""
    from plugins.models import Plugin
    from plugins.sync import sync_plugins

    if not Plugin.objects.filter(key=key).exists():
        sync_plugins()
    row = Plugin.objects.get(key=key)
    if not row.enabled and row.status == Plugin.Status.VALID:
        row.enabled = True
        row.save(update_fields=["enabled"])
    if not row.is_usable:
        raise SystemExit(f"The plugin {key} is not usable: {row.status} {row.error}")
    return row


def make_provider(name: str, plugin, *, priority: int = 100, model: str = "", **fields: Any):
    from providers.models import Provider

    return Provider.objects.create(
        name=name, plugin=plugin, model=model or plugin.default_model or "bench-model", priority=priority, **fields
    )


# --- Measuring ticks -------------------------------------------------------------------------------------


def take_lease():
    """The ticker lease, held by this process, as the loop holds it (each tick renews it in its transaction)."""
    from aiticker.lease import Lease

    lease = Lease(ttl_seconds=3600)
    if not lease.acquire():
        raise SystemExit("Could not take the ticker lease of the benchmark database")
    return lease


def measure_ticks(count: int, *, warmup: int = 5, lease=None, seconds_cap: float = 120.0) -> dict[str, Any]:
    """Run ``warmup`` + ``count`` ticks; per tick, the wall time and the overhead (wall minus provider time).

    Bounded twice: by ``count`` and by ``seconds_cap`` of wall time.
    """
    import gc

    from aiticker.engine import run_tick

    walls: list[float] = []
    overheads: list[float] = []
    sources: dict[str, int] = {}
    deadline = time.monotonic() + seconds_cap
    for i in range(warmup + count):
        if time.monotonic() > deadline:
            break
        provider_clock.take()
        started = time.perf_counter()
        result = run_tick(lease=lease)
        wall = (time.perf_counter() - started) * 1000
        provider_ms = provider_clock.take()
        if i < warmup:
            if i == 0:
                gc.collect()
            continue
        walls.append(wall)
        overheads.append(wall - provider_ms)
        sources[str(result.source)] = sources.get(str(result.source), 0) + 1
    return {"wall": walls, "overhead": overheads, "sources": sources}


def measure_archive_sizes(sizes: Sequence[int], ticks: int, *, warmup: int, lease=None):
    """Grow the archive to each size in turn and measure ticks there; yields ``(size, measure_ticks(...))``.

    ``archive_limit`` is the size, so every tick also prunes, as a full archive does.
    """
    archived = 0
    for size in sizes:
        archived += fill_archive(size - archived, seed=size)
        configure_ticker(archive_limit=size, reuse_probability=0.0, fuzzy_threshold=90.0)
        reset_process_state()
        yield size, measure_ticks(ticks, warmup=warmup, lease=lease)


def queries_per_tick(lease=None) -> int:
    """How many SQL statements one tick runs (measured on one extra tick)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aiticker.engine import run_tick

    with CaptureQueriesContext(connection) as captured:
        run_tick(lease=lease)
    return len(captured.captured_queries)
