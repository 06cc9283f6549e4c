"""Fixtures shared by every app's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.processes import prepare_database
from tests.support.ticker import reset_process_state


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """The archive index, the ticker payload cache and live provider instances live per process: a test that
    inherited another's would pass or fail by order."""
    reset_process_state()
    yield
    reset_process_state()


@pytest.fixture(scope="module")
def template_db(request, tmp_path_factory) -> Path:
    """A migrated SQLite file seeded with the test module's ``SEED`` (Python for ``manage.py shell``), made once
    per module for the tests that run real ``manage.py`` processes."""
    return prepare_database(tmp_path_factory.mktemp("processes") / "template.sqlite3", request.module.SEED)


@pytest.fixture
def db_path(template_db, tmp_path) -> Path:
    """A fresh copy of the module's template database for one test."""
    path = tmp_path / "ticker.sqlite3"
    shutil.copy(template_db, path)
    return path
