"""Benchmark 6 — scaling curves: tick overhead against archive size, and tick time against failover-chain length.

Archive: 1k, 3k, 10k, 30k and 100k messages (each with its display record; ``archive_limit`` = size, so every
tick also prunes one), the in-process instant provider, overhead = tick wall time minus provider time.

Chain: 0…10 failing providers before the good (instant) one. The failing ones are builtin OpenAI-compatible
providers pointed at a closed port on 127.0.0.1 (connection refused: a real, fast failure through the whole
HTTP stack). ``AITICKER_CIRCUIT_FAILURES`` is raised to its maximum for this script so their circuits stay
closed and every tick walks the whole chain; the growth per failing provider is the slope of the table.

    .venv/bin/python -m benchmarks.scaling [--quick] [--ticks N]
"""

from __future__ import annotations

import os

from benchmarks import harness

SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)
QUICK_SIZES = (100, 300, 1_000)
CHAIN = tuple(range(0, 11))
QUICK_CHAIN = (0, 1, 3)


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0], lambda p: p.add_argument("--ticks", type=int, default=0))
    os.environ["AITICKER_CIRCUIT_FAILURES"] = "1000"  # keep failing providers in the chain (see the docstring)
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # thousands of expected "connection refused" warnings otherwise
    workdir = harness.setup_django("scaling")
    try:
        return run(args)
    finally:
        harness.cleanup(workdir, args.keep_db)


def run(args) -> int:
    from providers.models import Provider
    from tests.support.fault_server import free_port

    ticks = args.ticks or (10 if args.quick else 150)
    sizes = QUICK_SIZES if args.quick else SIZES
    chain = QUICK_CHAIN if args.quick else CHAIN
    instant = harness.install_instant_plugin()
    http_plugin = harness.synced_plugin(harness.OPENAI_COMPATIBLE_KEY)
    harness.make_provider("good", instant, priority=1000, extra_params={"seed": 11})
    lease = harness.take_lease()

    by_size: dict[str, dict] = {}
    for size, measured in harness.measure_archive_sizes(sizes, ticks, warmup=5, lease=lease):
        by_size[str(size)] = harness.summary(measured["overhead"]) | {"fresh": measured["sources"].get("fresh", 0)}
    first = by_size[str(sizes[0])]["median_ms"]
    harness.print_table(
        "Tick overhead vs archive size (ms; instant provider, SQLite file DB)",
        ["archive", "ticks", "median", "p95", "p99", "median vs smallest"],
        [[f"{int(k):,}", v["n"], v["median_ms"], v["p95_ms"], v["p99_ms"], f"{v['median_ms'] / first:.2f}x"]
         for k, v in by_size.items()],
    )  # fmt: skip

    by_chain: dict[str, dict] = {}
    dead_url = f"http://127.0.0.1:{free_port()}/v1"
    harness.configure_ticker(archive_limit=max(sizes), reuse_probability=0.0, fuzzy_threshold=90.0)
    for length in chain:
        existing = Provider.objects.filter(name__startswith="failing-").count()
        for i in range(existing, length):
            harness.make_provider(f"failing-{i:02d}", http_plugin, priority=10 + i, base_url=dead_url, timeout=5)
        measured = harness.measure_ticks(ticks, warmup=3, lease=lease)
        by_chain[str(length)] = harness.summary(measured["overhead"]) | {"fresh": measured["sources"].get("fresh", 0)}
    base = by_chain[str(chain[0])]["median_ms"]
    harness.print_table(
        f"Tick time vs failing providers before the good one (ms; connection refused on 127.0.0.1; "
        f"archive {max(sizes):,})",
        ["failing", "ticks", "median", "p95", "p99", "per failing provider"],
        [[int(k), v["n"], v["median_ms"], v["p95_ms"], v["p99_ms"],
          round((v["median_ms"] - base) / int(k), 2) if int(k) else "-"] for k, v in by_chain.items()],
    )  # fmt: skip

    largest, smallest = by_size[str(sizes[-1])], by_size[str(sizes[0])]
    longest = by_chain[str(chain[-1])]
    per_failing = (longest["median_ms"] - base) / chain[-1] if chain[-1] else float("nan")
    targets = {"largest_over_10k_median_ratio": 2.0}
    reference = by_size.get("10000", by_size[str(sizes[len(sizes) // 2])])
    passed = {
        "largest_over_10k_median_le_2x": harness.check(largest["median_ms"] / reference["median_ms"], 2.0),
        "every_tick_fresh": all(v["fresh"] == v["n"] for v in [*by_size.values(), *by_chain.values()]),
    }
    figures = {
        "by_archive_size": by_size,
        "by_failing_providers": by_chain,
        "median_ms": reference["median_ms"],
        "p95_ms": reference["p95_ms"],
        "largest_over_smallest_median": round(largest["median_ms"] / smallest["median_ms"], 2),
        "ms_per_failing_provider": round(per_failing, 2),
    }
    harness.emit("scaling", args.quick, figures, targets, passed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
