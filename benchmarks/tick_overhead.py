"""Benchmark 1 — tick overhead: a tick's wall time minus the time spent inside the provider.

An in-process instant provider (served through ``providers.runtime.load_plugin``) answers a fresh sentence
each call, so every tick runs the whole fresh path: eligible providers, the call under its host deadline, the
duplicate check against the archive index, and the storing transaction (message, display record, attempt,
provider state, lease renewal, pruning). The archive is kept at its size (``archive_limit`` = size, so each
tick also prunes one message, as a full archive does).

Targets (2-core machine): at 10k messages median ≤ 2 ms and p95 ≤ 5 ms; at 100k no more than twice the 10k
figure (median and p95).

    .venv/bin/python -m benchmarks.tick_overhead [--quick] [--ticks N]
"""

from __future__ import annotations

from benchmarks import harness

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (200, 1_000, 2_000)


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0], lambda p: p.add_argument("--ticks", type=int, default=0))
    workdir = harness.setup_django("tick")
    try:
        return run(args)
    finally:
        harness.cleanup(workdir, args.keep_db)


def run(args) -> int:
    from providers.models import Provider

    sizes = QUICK_SIZES if args.quick else SIZES
    ticks = args.ticks or (20 if args.quick else 300)
    plugin = harness.install_instant_plugin()
    Provider.objects.all().delete()
    harness.make_provider("instant", plugin, extra_params={"seed": 7})
    lease = harness.take_lease()

    results: dict[str, dict] = {}
    for size, measured in harness.measure_archive_sizes(sizes, ticks, warmup=10, lease=lease):
        stats = harness.summary(measured["overhead"])
        stats["wall_median_ms"] = harness.summary(measured["wall"])["median_ms"]
        stats["queries"] = harness.queries_per_tick(lease)
        stats["fresh_ticks"] = measured["sources"].get("fresh", 0)
        results[str(size)] = stats

    rows = [
        [
            f"{int(size):,}",
            s["n"],
            s["median_ms"],
            s["p95_ms"],
            s["p99_ms"],
            s["max_ms"],
            s["wall_median_ms"],
            s["queries"],
            s["fresh_ticks"],
        ]
        for size, s in results.items()
    ]
    harness.print_table(
        "Tick overhead (wall minus provider time), SQLite file DB, instant in-process provider",
        ["archive", "ticks", "median ms", "p95 ms", "p99 ms", "max ms", "wall median", "queries/tick", "fresh"],
        rows,
    )

    mid, big = results[str(sizes[1])], results[str(sizes[2])]
    targets = {"median_ms_at_10k": 2.0, "p95_ms_at_10k": 5.0, "100k_over_10k_ratio": 2.0}
    ratio_median = big["median_ms"] / mid["median_ms"] if mid["median_ms"] else float("nan")
    ratio_p95 = big["p95_ms"] / mid["p95_ms"] if mid["p95_ms"] else float("nan")
    passed = {
        "median_ms_at_10k": harness.check(mid["median_ms"], targets["median_ms_at_10k"]),
        "p95_ms_at_10k": harness.check(mid["p95_ms"], targets["p95_ms_at_10k"]),
        "100k_over_10k_median": harness.check(ratio_median, 2.0),
        "100k_over_10k_p95": harness.check(ratio_p95, 2.0),
        "every_tick_fresh": all(s["fresh_ticks"] == s["n"] for s in results.values()),
    }
    print(
        f"\n100k/10k ratio: median {ratio_median:.2f}x, p95 {ratio_p95:.2f}x"
        + ("  (quick mode: sizes are 200/1k/2k, not the targets' sizes)" if args.quick else "")
    )
    figures = {
        "sizes": list(sizes),
        "by_size": results,
        "median_ms": mid["median_ms"],
        "p95_ms": mid["p95_ms"],
        "ratio_median_100k_10k": round(ratio_median, 2),
        "ratio_p95_100k_10k": round(ratio_p95, 2),
    }
    harness.emit("tick_overhead", args.quick, figures, targets, passed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
