"""HTTP load for the API benchmark: Debian's ``wrk`` when installed, else a small Python generator.

Both keep ``connections`` keep-alive connections busy for ``seconds`` against one loopback URL and report
requests/s, latency percentiles and errors in the same shape, so the benchmark reads one dict either way.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.harness import percentile


def available_tool() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run_load(url: str, *, seconds: float, connections: int, tool: str | None = None) -> dict:
    tool = tool or available_tool()
    if tool == "wrk":
        return _run_wrk(url, seconds=seconds, connections=connections)
    return _run_python(url, seconds=seconds, connections=connections)


# --- wrk ---------------------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unparseable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


#: A ``done()`` hook printing p50/p95/p99/max, which ``wrk --latency`` alone does not (it has 50/75/90/99).
WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")


def _run_wrk(url: str, *, seconds: float, connections: int) -> dict:
    threads = max(1, min(2, connections))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    command += ["-s", str(WRK_SCRIPT), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout) | {"tool": "wrk", "command": " ".join(command)}


def parse_wrk(output: str) -> dict:
    """Requests/s, latency percentiles (ms), request count and errors from ``wrk --latency`` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)", output, re.MULTILINE)}
    if match := re.search(r"PERCENTILES p50=(\d+) p95=(\d+) p99=(\d+) max=(\d+)", output):
        exact = [int(n) / 1000 for n in match.groups()]
        percentiles.update({50: exact[0], 95: exact[1], 99: exact[2], 100: exact[3]})
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    socket_errors = 0
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        socket_errors = sum(int(n) for n in match.groups())
    non_2xx = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        non_2xx = int(match.group(1))
    return {
        "requests_per_s": round(rps, 1),
        "requests": requests,
        "p50_ms": round(percentiles.get(50, float("nan")), 2),
        "p95_ms": round(percentiles.get(95, float("nan")), 2),
        "p99_ms": round(percentiles.get(99, float("nan")), 2),
        "max_ms": round(percentiles.get(100, float("nan")), 2),
        "errors": socket_errors + non_2xx,
        "socket_errors": socket_errors,
        "non_2xx": non_2xx,
    }


# --- Python fallback ---------------------------------------------------------------------------------------


def _run_python(url: str, *, seconds: float, connections: int) -> dict:
    """Threads with keep-alive connections; much weaker than wrk on two cores (it competes for the same CPU)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    deadline = time.monotonic() + seconds
    start = threading.Barrier(connections + 1)

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        start.wait()
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if not 200 <= response.status < 400:
                    errors[slot] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            latencies[slot].append((time.perf_counter() - began) * 1000)
        conn.close()

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in workers:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in workers:
        thread.join(timeout=seconds + 30)
    elapsed = time.monotonic() - began
    merged = [value for slot in latencies for value in slot]
    return {
        "requests_per_s": round(len(merged) / elapsed, 1) if elapsed else 0.0,
        "requests": len(merged),
        "p50_ms": round(percentile(merged, 50), 2),
        "p95_ms": round(percentile(merged, 95), 2),
        "p99_ms": round(percentile(merged, 99), 2),
        "max_ms": round(max(merged), 2) if merged else float("nan"),
        "errors": sum(errors),
        "socket_errors": sum(errors),
        "non_2xx": 0,
        "tool": "python",
        "command": f"python load generator, {connections} keep-alive connections, {seconds:g}s",
    }
