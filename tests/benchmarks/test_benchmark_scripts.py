"""The benchmark scripts work: each runs in --quick mode in a subprocess, exits 0 and ends with its JSON figures.

No timing is asserted here (the figures depend on the machine); the scripts report pass/miss themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ["tick_overhead", "api_throughput", "failover", "health_checks", "memory", "scaling"]
TOP_LEVEL_KEYS = {"benchmark", "quick", "cpu_count", "figures", "targets", "pass", "all_pass"}


def run_quick(name: str) -> tuple[subprocess.CompletedProcess, dict]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--quick"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    figures = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return done, figures


@pytest.mark.subprocess
@pytest.mark.parametrize("name", SCRIPTS)
def test_benchmark_script_runs_quick_and_ends_with_its_json_figures(name):
    done, line = run_quick(name)

    assert done.returncode == 0, done.stderr[-3000:]
    assert TOP_LEVEL_KEYS <= line.keys(), done.stdout[-3000:]
    assert line["benchmark"] == name
    assert line["quick"] is True
    assert line["cpu_count"] == os.cpu_count()
    assert {"median_ms", "p95_ms"} <= line["figures"].keys()
    assert line["targets"], "every benchmark states its targets"
    assert line["pass"] and all(isinstance(flag, bool) for flag in line["pass"].values())
    assert line["all_pass"] == all(line["pass"].values())
    # The human table comes first: the JSON line is not the only output.
    assert len(done.stdout.splitlines()) > 3


@pytest.mark.subprocess
def test_benchmarks_never_touch_the_developers_database(tmp_path):
    """Scripts build their own SQLite file in a temporary directory; DATABASE_URL from outside is ignored."""
    decoy = tmp_path / "developer.sqlite3"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), DATABASE_URL=f"sqlite:///{decoy}")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.health_checks", "--quick"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert not decoy.exists()
