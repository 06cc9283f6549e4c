"""Benchmark 3 — failover: what a failing primary provider costs a tick before and after its circuit opens.

Both providers use the builtin OpenAI-compatible plugin against the local fault server
(``tests/support/fault_server.py``) on 127.0.0.1: the secondary at ``ok`` (answers at once), the primary at

* ``hang`` (accepts, never answers), provider timeout 2 s: the first tick must take ≤ 2.1 s; once the circuit
  is open (``AITICKER_CIRCUIT_FAILURES`` failed ticks, default 3) a tick must cost ≤ the secondary's latency
  + 5 ms;
* ``status500`` (answers 500 at once): a tick must cost ≤ the secondary's latency + 5 ms while the primary is
  still tried (measured over many ticks with the circuit held closed; the builtins' HTTP layer retries a 5xx
  once, at once, and that retry is part of the cost). The first tick also builds the primary's client and is
  reported on its own.

"Secondary latency" is the secondary's own call, timed around ``providers.runtime.generate``; the tables also
show a tick with only the secondary enabled, so the primary's share is visible. Exact duplicates only
(``fuzzy_threshold`` 100): the fault server's answers differ only by a counter.

    .venv/bin/python -m benchmarks.failover [--quick]
"""

from __future__ import annotations

import os
import statistics
import time

from benchmarks import harness

HANG_TIMEOUT_S = 2.0


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0])
    if args.quick:
        os.environ["AITICKER_CIRCUIT_FAILURES"] = "1"  # one hung call opens the circuit: 2 s instead of 6 s
    workdir = harness.setup_django("failover")
    try:
        return run(args)
    finally:
        harness.cleanup(workdir, args.keep_db)


class CallTimer:
    """Wraps ``providers.runtime.generate`` (the engine calls it through the module) to time each call."""

    def __init__(self) -> None:
        from providers import runtime

        self.calls: list[tuple[str, float, bool]] = []
        self._runtime = runtime
        self._original = runtime.generate

        def timed(provider, *args, **kwargs):
            started = time.perf_counter()
            outcome = self._original(provider, *args, **kwargs)
            self.calls.append((provider.name, (time.perf_counter() - started) * 1000, outcome.ok))
            return outcome

        runtime.generate = timed

    def take(self) -> list[tuple[str, float, bool]]:
        calls, self.calls = self.calls, []
        return calls


def tick(lease, timer: CallTimer) -> dict:
    from aiticker.engine import run_tick

    timer.take()
    started = time.perf_counter()
    result = run_tick(lease=lease)
    wall = (time.perf_counter() - started) * 1000
    calls = timer.take()
    secondary = sum(ms for name, ms, ok in calls if name == "secondary")
    return {"wall_ms": wall, "secondary_ms": secondary, "cost_ms": wall - secondary, "source": str(result.source),
            "calls": [name for name, _, _ in calls]}  # fmt: skip


def run(args) -> int:
    from django.conf import settings

    from providers.models import Provider
    from tests.support.fault_server import FaultServer

    failures_to_open = settings.AITICKER_CIRCUIT_FAILURES
    open_ticks = 5 if args.quick else 50
    plugin = harness.synced_plugin(harness.OPENAI_COMPATIBLE_KEY)
    harness.configure_ticker(fuzzy_threshold=100.0, reuse_probability=0.0, archive_limit=100_000)
    lease = harness.take_lease()
    timer = CallTimer()
    rows, figures, passed = [], {}, {}

    with FaultServer() as server:
        secondary = harness.make_provider("secondary", plugin, priority=20, base_url=server.url("ok"), timeout=10)

        # Baseline: the secondary alone.
        for _ in range(5):
            tick(lease, timer)
        alone = [tick(lease, timer) for _ in range(open_ticks)]
        alone_wall = statistics.median(t["wall_ms"] for t in alone)
        alone_secondary = statistics.median(t["secondary_ms"] for t in alone)
        rows.append(["secondary alone", "-", len(alone), alone_secondary, alone_wall, alone_wall - alone_secondary])
        figures["secondary_alone"] = {
            "tick_median_ms": round(alone_wall, 2),
            "call_median_ms": round(alone_secondary, 2),
        }

        for behaviour, timeout in (("hang", HANG_TIMEOUT_S), ("status500", 10.0)):
            Provider.objects.filter(name="primary").delete()
            primary = harness.make_provider(
                "primary", plugin, priority=10, base_url=server.url(behaviour), timeout=timeout
            )
            closed: list[dict] = []
            if behaviour == "status500":
                # Hold the circuit closed for a steady-state sample of "primary answers 500, secondary serves".
                failures_setting = settings.AITICKER_CIRCUIT_FAILURES
                settings.AITICKER_CIRCUIT_FAILURES = 10**9
                try:
                    closed = [tick(lease, timer) for _ in range(open_ticks)]
                finally:
                    settings.AITICKER_CIRCUIT_FAILURES = failures_setting
                Provider.objects.filter(pk=primary.pk).update(consecutive_failures=0)
            before = [tick(lease, timer) for _ in range(failures_to_open)]
            primary.refresh_from_db()
            circuit_open = primary.circuit_state() == Provider.Circuit.OPEN
            after = [tick(lease, timer) for _ in range(open_ticks)]
            first = (closed or before)[0]
            open_cost = harness.summary([t["cost_ms"] for t in after])
            phases = [("circuit closed", closed or before), ("circuit open", after)]
            for label, ticks in phases:
                rows.append([
                    f"primary {behaviour}", label, len(ticks),
                    statistics.median(t["secondary_ms"] for t in ticks),
                    statistics.median(t["wall_ms"] for t in ticks),
                    statistics.median(t["cost_ms"] for t in ticks),
                ])  # fmt: skip
            figures[behaviour] = {
                "first_tick_ms": round(first["wall_ms"], 2),
                "first_tick_cost_over_secondary_ms": round(first["cost_ms"], 2),
                "circuit_open_after_ticks": failures_to_open if circuit_open else None,
                "open_circuit_cost_over_secondary": open_cost,
                "open_circuit_calls": sorted({name for t in after for name in t["calls"]}),
                "median_ms": open_cost["median_ms"],
                "p95_ms": open_cost["p95_ms"],
            }
            passed[f"{behaviour}_circuit_opened"] = circuit_open and all(t["calls"] == ["secondary"] for t in after)
            passed[f"{behaviour}_open_circuit_cost_median_le_5ms"] = harness.check(open_cost["median_ms"], 5.0)
            if behaviour == "hang":
                passed["hang_first_tick_le_timeout_plus_100ms"] = harness.check(
                    first["wall_ms"], (timeout + 0.1) * 1000
                )
            else:
                closed_cost = harness.summary([t["cost_ms"] for t in closed[1:]])
                figures[behaviour]["closed_circuit_cost_over_secondary"] = closed_cost
                passed["status500_closed_circuit_cost_median_le_5ms"] = harness.check(closed_cost["median_ms"], 5.0)
            primary.delete()
        secondary.delete()

    harness.print_table(
        "Failover: primary on the local fault server, secondary answering at once (ms; cost = tick − secondary call)",
        ["primary", "state", "ticks", "secondary call", "tick median", "cost median"],
        rows,
    )
    print(
        f"\nhang: first tick {figures['hang']['first_tick_ms']:.0f} ms (timeout {HANG_TIMEOUT_S:g} s); "
        f"status500: first tick costs {figures['status500']['first_tick_cost_over_secondary_ms']:.0f} ms over the "
        "secondary (it builds the primary's client); then "
        f"{figures['status500']['closed_circuit_cost_over_secondary']['median_ms']:.1f} ms median per tick "
        "while the primary is still tried (one immediate retry of its 5xx included)"
    )
    targets = {
        "hang_first_tick_ms": (HANG_TIMEOUT_S + 0.1) * 1000,
        "open_circuit_cost_over_secondary_ms": 5.0,
        "status500_tick_cost_over_secondary_ms": 5.0,
    }
    figures["circuit_failures_setting"] = failures_to_open
    figures["median_ms"] = figures["hang"]["median_ms"]
    figures["p95_ms"] = figures["hang"]["p95_ms"]
    harness.emit("failover", args.quick, figures, targets, passed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
