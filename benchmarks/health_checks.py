"""Benchmark 4 — health of many providers: ``providers.health.check_providers()`` over 10 slow providers.

Ten providers on the builtin OpenAI-compatible plugin point at the local fault server's ``slow200`` behaviour
(every request, the health check's ``GET /models`` included, answers after 200 ms; its listen backlog is
raised from socketserver's 5 to 128). Checked one after the
other that is 2 s; the target is ≤ 300 ms wall for the all-providers check (the loop's and
``GET /api/providers/health/``'s code path), measured over several rounds after one cold round that also
builds the live provider instances.

    .venv/bin/python -m benchmarks.health_checks [--quick] [--rounds N]
"""

from __future__ import annotations

import time

from benchmarks import harness

PROVIDERS = 10
SERVER_DELAY_MS = 200


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0], lambda p: p.add_argument("--rounds", type=int, default=10))
    workdir = harness.setup_django("health")
    try:
        return run(args)
    finally:
        harness.cleanup(workdir, args.keep_db)


def run(args) -> int:
    from providers.health import check_providers
    from tests.support.fault_server import FaultServer

    class WideBacklogFaultServer(FaultServer):
        # socketserver listens with a backlog of 5: ten simultaneous connects overflow it and the dropped SYNs
        # are retried after 1 s, which would measure the test server's accept queue, not the health checks.
        request_queue_size = 128

        def handle_error(self, request, client_address) -> None:
            # Pooled keep-alive connections closed by the clients show up as resets; they are expected here.
            pass

    rounds = 2 if args.quick else max(1, args.rounds)
    plugin = harness.synced_plugin(harness.OPENAI_COMPATIBLE_KEY)
    with WideBacklogFaultServer() as server:
        for i in range(PROVIDERS):
            harness.make_provider(f"slow-{i:02d}", plugin, base_url=server.url(f"slow{SERVER_DELAY_MS}"), timeout=10)
        walls, healthy = [], []
        cold = None
        for round_number in range(rounds + 1):
            started = time.perf_counter()
            outcomes = check_providers()
            wall = (time.perf_counter() - started) * 1000
            healthy.append(sum(1 for o in outcomes if o.ok))
            if round_number == 0:
                cold = wall
            else:
                walls.append(wall)
        requests = len(server.requests_for(f"slow{SERVER_DELAY_MS}"))

    stats = harness.summary(walls)
    harness.print_table(
        f"check_providers() over {PROVIDERS} providers, each answering in {SERVER_DELAY_MS} ms (local fault server)",
        ["round", "wall ms", "healthy"],
        [["cold (builds instances)", cold, healthy[0]]]
        + [[f"warm {i + 1}", wall, healthy[i + 1]] for i, wall in enumerate(walls)],
    )
    print(
        f"\nwarm: median {stats['median_ms']:.0f} ms, p95 {stats['p95_ms']:.0f} ms "
        f"(sequential would be {PROVIDERS * SERVER_DELAY_MS} ms); server saw {requests} requests"
    )
    targets = {"wall_ms": 300.0}
    passed = {
        "median_wall_le_300ms": harness.check(stats["median_ms"], 300.0),
        "p95_wall_le_300ms": harness.check(stats["p95_ms"], 300.0),
        "every_provider_healthy": all(count == PROVIDERS for count in healthy),
    }
    figures = {
        "providers": PROVIDERS,
        "server_delay_ms": SERVER_DELAY_MS,
        "cold_ms": round(cold, 2),
        "warm": stats,
        "median_ms": stats["median_ms"],
        "p95_ms": stats["p95_ms"],
        "sequential_ms": PROVIDERS * SERVER_DELAY_MS,
    }
    harness.emit("health_checks", args.quick, figures, targets, passed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
