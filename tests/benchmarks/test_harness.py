"""The pieces the benchmark figures rest on: percentiles, wrk's report, and the archive text being varied."""

from __future__ import annotations

import pytest
from rapidfuzz import fuzz

from aiticker.archive import normalize
from benchmarks.harness import TextSource, percentile, summary
from benchmarks.loadgen import parse_wrk

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/api/ticker/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.03ms    3.01ms  61.45ms   89.12%
    Req/Sec     2.01k   150.22     2.30k    71.00%
  Latency Distribution
     50%    7.52ms
     75%    8.90ms
     90%   10.12ms
     99%   21.70ms
  40123 requests in 10.01s, 18.20MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 2
Requests/sec:   4008.29
Transfer/sec:      1.82MB
PERCENTILES p50=7520 p95=12980 p99=21700 max=61450
"""


def test_percentile_is_nearest_rank_so_every_figure_was_observed():
    values = list(range(1, 101))

    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 95) == 7.0


def test_summary_reports_median_and_tail():
    stats = summary([1.0, 2.0, 3.0, 4.0, 100.0])

    assert stats["median_ms"] == 3.0
    assert stats["p95_ms"] == 100.0
    assert stats["n"] == 5


def test_wrk_report_is_parsed_with_exact_percentiles_and_every_kind_of_error():
    figures = parse_wrk(WRK_OUTPUT)

    assert figures["requests_per_s"] == pytest.approx(4008.29, abs=0.1)
    assert figures["requests"] == 40123
    assert figures["p50_ms"] == pytest.approx(7.52)
    assert figures["p95_ms"] == pytest.approx(12.98)
    assert figures["p99_ms"] == pytest.approx(21.7)
    assert figures["errors"] == 3 + 1 + 2


def test_wrk_report_without_errors_counts_none():
    clean = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if not line.lstrip().startswith(("Socket errors", "Non-2xx"))
    )

    assert parse_wrk(clean)["errors"] == 0


def test_archive_text_is_varied_enough_that_the_dedup_path_accepts_fresh_answers():
    """Benchmarks need every instant answer accepted as new, or ticks would skip the storing path."""
    source = TextSource(seed=5)
    texts = [normalize(source.sentence()) for _ in range(300)]

    lengths = [len(t) for t in texts]
    assert min(lengths) < 80 < max(lengths), "lengths spread like real ticker messages"
    worst = max(fuzz.ratio(a, b) for i, a in enumerate(texts) for b in texts[i + 1 :])
    assert worst < 90
