"""Concurrent, free health checks of providers, for operators (admin, API, ``checkproviders``).

Health checks inform; they never open a circuit (many servers lack the endpoint a check probes yet generate
fine). Checks run in parallel, each bounded by its provider's timeout, so the wall time is close to the slowest
single check rather than the sum.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from django.db import connections, transaction

from . import runtime
from .models import Provider

logger = logging.getLogger(__name__)

__all__ = ["HealthOutcome", "check_providers"]

#: Upper bound on parallel checks; each one is mostly waiting on the network.
MAX_PARALLEL_CHECKS = 16

HealthOutcome = runtime.CallOutcome


def check_providers(providers: Iterable[Provider] | None = None) -> list[HealthOutcome]:
    """Check ``providers`` (default: every usable enabled provider) concurrently and record the results."""
    runtime.refresh_if_reloaded()
    selected = list(runtime.usable_providers() if providers is None else providers)
    for provider in selected:
        provider.plugin  # noqa: B018 - load the relation here: worker threads must not open DB connections
    if not selected:
        return []
    with ThreadPoolExecutor(max_workers=min(len(selected), MAX_PARALLEL_CHECKS), thread_name_prefix="health") as pool:
        outcomes = list(pool.map(_check_one, selected))
    with transaction.atomic():
        runtime.record_outcomes(outcomes)
    down = [o.provider.name for o in outcomes if not o.ok]
    logger.info("Health checked %d provider(s); down: %s", len(outcomes), ", ".join(down) or "none")
    return outcomes


def _check_one(provider: Provider) -> HealthOutcome:
    try:
        return runtime.check_health(provider)
    finally:
        # The plugin registry may read the database on first use; close what this pool thread opened.
        connections.close_all()
