"""Per-process ticker state and settings, shared by the tests and the benchmarks.

Imports happen inside the functions: the benchmark harness imports this module before Django is set up.
"""

from __future__ import annotations

from typing import Any


def reset_process_state() -> None:
    """Forget the per-process caches (archive index, payload cache, live provider instances)."""
    from aiticker.archive import archive_index
    from aiticker.status import ticker_cache
    from providers import runtime

    archive_index.invalidate()
    ticker_cache.clear()
    runtime.reset_live_providers()


def configure_ticker(**values: Any):
    """Set ticker settings (validated, saved); reuse is off, so every tick asks the providers, unless given."""
    from aiticker.models import TickerSettings

    config = TickerSettings.load()
    values.setdefault("reuse_probability", 0.0)
    for name, value in values.items():
        setattr(config, name, value)
    config.full_clean()
    config.save()
    return config
