"""Benchmark 5 — memory: the real ``manage.py runticker`` process's resident memory over 10,000 ticks.

The loop runs as a subprocess (``--interval 0.001 --iterations …``; the command accepts any interval > 0) with
the offline mock provider at ``latency_ms`` 0, the default ticker settings (archive pruned at 1,000 messages,
so the archive fills, then every tick prunes) on its own SQLite file. This process polls the latest tick id and
the child's ``VmRSS`` (``/proc/<pid>/status``) every few milliseconds. Targets: RSS after 10,000 ticks within
10% of its value after 1,000 ticks, and under 150 MB.

    .venv/bin/python -m benchmarks.memory [--quick] [--ticks 10000]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import harness


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0], lambda p: p.add_argument("--ticks", type=int, default=10_000))
    workdir = harness.setup_django("memory")
    try:
        return run(args)
    finally:
        harness.cleanup(workdir, args.keep_db)


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def latest_tick_id() -> int:
    from aiticker.models import Tick

    return Tick.objects.order_by("-id").values_list("id", flat=True).first() or 0


def run(args) -> int:
    from django.db import connection

    from aiticker.models import Tick

    total = 200 if args.quick else args.ticks
    baseline_at = max(1, total // 10)
    checkpoints = sorted({baseline_at * i for i in range(1, 11)} | {total})
    mock = harness.synced_plugin(harness.MOCK_KEY)
    harness.make_provider("mock", mock, model="mock-1", extra_params={"latency_ms": 0})
    harness.configure_ticker(reuse_probability=0.2)  # the default settings otherwise (archive_limit 1000)
    connection.close()

    env = dict(os.environ, LOG_LEVEL="INFO")  # as deployed: one INFO line per tick (to /dev/null here)
    # A few extra iterations so the child is still alive when the parent sees tick ``total``.
    command = [sys.executable, "manage.py", "runticker", "--interval", "0.001", "--iterations", str(total + 200)]
    started = time.monotonic()
    child = subprocess.Popen(command, env=env, cwd=harness.REPO_ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    samples: dict[int, tuple[int, int, float]] = {}
    deadline = started + (60 if args.quick else 600)
    try:
        pending = list(checkpoints)
        while pending and child.poll() is None and time.monotonic() < deadline:
            ticks = latest_tick_id()
            while pending and ticks >= pending[0]:
                rss = rss_kb(child.pid)
                if rss is not None:
                    samples[pending[0]] = (ticks, rss, time.monotonic() - started)
                pending.pop(0)
            time.sleep(0.01)
    finally:
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)
    # The loop keeps the last ``archive_limit`` display records: their durations (measured by the engine).
    durations = harness.summary([float(ms) for ms in Tick.objects.values_list("duration_ms", flat=True)])
    sources = {s: Tick.objects.filter(source=s).count() for s in Tick.Source.values}

    rows = [[f"{c:,}", samples[c][0], round(samples[c][1] / 1024, 1), round(samples[c][2], 1)] for c in sorted(samples)]
    harness.print_table(
        f"runticker RSS (real subprocess, mock provider latency 0, {' '.join(command[2:])})",
        ["after ticks", "tick id seen", "RSS MB", "elapsed s"],
        rows,
    )
    base = samples.get(baseline_at, (0, 0, 0))[1] / 1024
    final = samples.get(total, (0, 0, 0))[1] / 1024
    growth = (final - base) / base if base else float("nan")
    elapsed = samples.get(total, (0, 0, float("nan")))[2]
    rate = total / elapsed if elapsed and elapsed == elapsed else float("nan")
    print(f"\nRSS {base:.1f} MB after {baseline_at:,} ticks, {final:.1f} MB after {total:,} ({growth:+.1%}); "
          f"{rate:.0f} ticks/s; last {durations['n']} ticks: duration median {durations['median_ms']:.0f} ms, "
          f"p95 {durations['p95_ms']:.0f} ms; sources {sources}")  # fmt: skip
    targets = {"growth_fraction": 0.10, "rss_mb": 150.0}
    passed = {
        "reached_all_ticks": total in samples,
        "growth_within_10_percent": harness.check(abs(growth), 0.10),
        "rss_under_150mb": harness.check(final, 150.0) and final > 0,
    }
    figures = {
        "ticks": total,
        "baseline_ticks": baseline_at,
        "rss_mb_baseline": round(base, 1),
        "rss_mb_final": round(final, 1),
        "growth_fraction": round(growth, 4),
        "ticks_per_s": round(rate, 1),
        "rss_mb_by_ticks": {str(c): round(samples[c][1] / 1024, 1) for c in sorted(samples)},
        "tick_duration": durations,
        "sources_of_kept_ticks": sources,
        "median_ms": durations["median_ms"],
        "p95_ms": durations["p95_ms"],
    }
    harness.emit("memory", args.quick, figures, targets, passed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
