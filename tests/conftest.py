"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest

from aiticker.archive import archive_index
from aiticker.status import ticker_cache
from providers import runtime


def _reset_process_state() -> None:
    archive_index.invalidate()
    ticker_cache.clear()
    runtime.reset_live_providers()


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """The archive index, the ticker payload cache and live provider instances live per process: a test that
    inherited another's would pass or fail by order."""
    _reset_process_state()
    yield
    _reset_process_state()
