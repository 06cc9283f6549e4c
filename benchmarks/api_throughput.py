"""Benchmark 2 — current-message API: ``GET /api/ticker/`` on gunicorn under load, against the server's ceiling.

One gunicorn serves both URLs on 127.0.0.1; a real ``manage.py runticker --interval 1`` loop (offline mock
provider) ticks beside it on the same SQLite file, so the payload cache is invalidated every second as in
production. The ceiling is the same server answering a tiny static file through whitenoise (its middleware
answers before sessions, auth, CSRF, URL routing and the view: the cheapest response this server can give).

Server settings: ``DATABASE_CONN_MAX_AGE=60`` (``--conn-max-age``): with the default 0 every request opens a
new SQLite connection (about 0.8 ms here, more than the view itself). The public throttle is raised for the
benchmark server (``AITICKER_PUBLIC_THROTTLE_RATE=100000000/s``), or it would answer 429 to the load tool after
600 requests. Load: ``wrk`` (Debian) when installed, else a Python generator (``--tool``).
Targets: ticker requests/s ≥ 50% of the ceiling, p99 ≤ 25 ms, zero errors.

    .venv/bin/python -m benchmarks.api_throughput [--quick] [--seconds 10] [--worker-class sync|gthread]
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from benchmarks import harness, loadgen

#: The static file of the ceiling: ~400 bytes of SVG from Django's admin, about the size of a ticker payload.
STATIC_PATH = "/static/admin/img/icon-yes.svg"
TICKER_PATH = "/api/ticker/"


def _options(parser) -> None:
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each load run.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--tool", choices=["wrk", "python"], default=None, help="Default: wrk when installed.")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="DATABASE_CONN_MAX_AGE for the server (0, the default setting, reconnects to SQLite per request).",
    )


def gunicorn_command(port: int, worker_class: str) -> list[str]:
    cores = os.cpu_count() or 1
    command = [sys.executable, "-m", "gunicorn", "aiticker.wsgi", "--bind", f"127.0.0.1:{port}"]
    if worker_class == "sync":
        # The classic sizing for CPU-bound Python: 2 × cores + 1 single-threaded processes.
        command += ["--workers", str(2 * cores + 1), "--worker-class", "sync"]
    else:
        command += ["--workers", str(cores), "--threads", "4", "--worker-class", "gthread"]
    return command + ["--backlog", "2048", "--graceful-timeout", "5", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The benchmark server did not answer {url} within {seconds:g}s")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def main() -> int:
    args = harness.parse_args(__doc__.splitlines()[0], _options)
    workdir = harness.setup_django("api")
    try:
        return run(args)
    finally:
        harness.cleanup(workdir, args.keep_db)


def run(args) -> int:
    seconds = 1.0 if args.quick else args.seconds
    tool = args.tool or loadgen.available_tool()
    mock = harness.synced_plugin(harness.MOCK_KEY)
    harness.make_provider("mock", mock, model="mock-1", extra_params={"latency_ms": 0})
    harness.fill_archive(1000)
    harness.configure_ticker(interval_seconds=1, reuse_probability=0.2)

    env = dict(os.environ)
    env["AITICKER_PUBLIC_THROTTLE_RATE"] = "100000000/s"
    env["WHITENOISE_USE_FINDERS"] = "true"  # serve static files without collectstatic into the developer's var/
    env["LOG_LEVEL"] = "WARNING"
    env["DATABASE_CONN_MAX_AGE"] = str(args.conn_max_age)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = ticker = None
    try:
        ticker = subprocess.Popen(
            [sys.executable, "manage.py", "runticker", "--interval", "1"],
            env=env,
            cwd=harness.REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = subprocess.Popen(
            gunicorn_command(port, args.worker_class),
            env=env,
            cwd=harness.REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(base + TICKER_PATH)
        wait_until_up(base + STATIC_PATH)
        # Warm every worker's imports and caches before measuring.
        loadgen.run_load(base + TICKER_PATH, seconds=1, connections=args.connections, tool=tool)
        loadgen.run_load(base + STATIC_PATH, seconds=1, connections=args.connections, tool=tool)
        ceiling = loadgen.run_load(base + STATIC_PATH, seconds=seconds, connections=args.connections, tool=tool)
        ticks_before = _tick_count()
        api = loadgen.run_load(base + TICKER_PATH, seconds=seconds, connections=args.connections, tool=tool)
        ticks_during = _tick_count() - ticks_before
        loop_alive = ticker.poll() is None
    finally:
        stop(server)
        stop(ticker)

    share = api["requests_per_s"] / ceiling["requests_per_s"] if ceiling["requests_per_s"] else float("nan")
    harness.print_table(
        f"GET {TICKER_PATH} vs static ceiling — gunicorn {' '.join(gunicorn_command(port, args.worker_class)[4:])}, "
        f"DATABASE_CONN_MAX_AGE={args.conn_max_age}, {args.connections} connections, {seconds:g}s each, "
        f"load tool: {tool}",
        ["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "errors"],
        [
            [f"static {STATIC_PATH} (ceiling)", ceiling["requests_per_s"], ceiling["p50_ms"], ceiling["p95_ms"],
             ceiling["p99_ms"], ceiling["requests"], ceiling["errors"]],
            [f"api {TICKER_PATH}", api["requests_per_s"], api["p50_ms"], api["p95_ms"], api["p99_ms"],
             api["requests"], api["errors"]],
        ],
    )  # fmt: skip
    print(f"\nticker/ceiling: {share:.0%}; ticks stored during the API run: {ticks_during} (loop alive: {loop_alive})")

    targets = {"share_of_ceiling": 0.5, "p99_ms": 25.0, "errors": 0}
    passed = {
        "share_of_ceiling": not share < 0.5,
        "p99_ms": harness.check(api["p99_ms"], 25.0),
        "zero_errors": api["errors"] == 0,
        "loop_ticked_beside": ticks_during >= max(1, int(seconds) - 2) and loop_alive,
    }
    figures = {
        "tool": tool,
        "worker_class": args.worker_class,
        "gunicorn": " ".join(gunicorn_command(port, args.worker_class)[4:]),
        "connections": args.connections,
        "conn_max_age": args.conn_max_age,
        "seconds": seconds,
        "api": api,
        "ceiling": ceiling,
        "share_of_ceiling": round(share, 3),
        "median_ms": api["p50_ms"],
        "p95_ms": api["p95_ms"],
        "p99_ms": api["p99_ms"],
        "ticks_during_run": ticks_during,
    }
    harness.emit("api_throughput", args.quick, figures, targets, passed)
    return 0


def _tick_count() -> int:
    from aiticker.models import Tick

    return Tick.objects.order_by("-id").values_list("id", flat=True).first() or 0


if __name__ == "__main__":
    raise SystemExit(main())
