"""Fixtures for the kill -9 tests: a database the killed processes share, and their environment.

On SQLite each test gets a database file of its own (as a deployment would: one
file, the processes that use it and nothing else), so what a killed process leaves
behind is judged on its own and never reaches the rest of the suite. On PostgreSQL
the shared test database is used, emptied after each test like everywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import create_database
from tests.rights.support import World

from privacyops import migrate
from privacyops.db import Database
from privacyops.policy.loader import load_declaration
from privacyops.settings import Settings
from privacyops.vault.service import Vault


@pytest.fixture
def fault_settings(settings: Settings, db: Database, tmp_path: Path) -> Settings:
    if db.engine.dialect.name != "sqlite":
        return settings
    url = create_database(tmp_path, "po_faults")
    migrate.upgrade(url)
    return settings.model_copy(update={"database_url": url})


@pytest.fixture
def fault_db(fault_settings: Settings, db: Database) -> Iterator[Database]:
    if fault_settings.database_url == db.url:
        yield db
        return
    own = Database(fault_settings.database_url, secret=fault_settings.secret_key)
    yield own
    own.dispose()


@pytest.fixture
def environment(fault_settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PRIVACYOPS_ENV": "test",
        "PRIVACYOPS_DATABASE_URL": fault_settings.database_url,
        "PRIVACYOPS_SECRET_KEY": fault_settings.secret_key,
        "PRIVACYOPS_POLICY": str(fault_settings.policy),
        "PRIVACYOPS_KEY_DIR": str(fault_settings.key_dir),
        "PRIVACYOPS_DATA_DIR": str(fault_settings.data_dir),
        "PRIVACYOPS_EMAIL_BACKEND": "outbox",
        "PRIVACYOPS_JOBS": "off",
    }


@pytest.fixture
def world(fault_db: Database, fault_settings: Settings) -> World:
    return World(
        fault_db,
        Vault.from_settings(fault_settings),
        fault_settings,
        load_declaration(fault_settings.policy),
    )
