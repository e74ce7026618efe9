"""Fixtures for the kill -9 tests: the service's settings as a child process's environment."""

from __future__ import annotations

import os

import pytest
from tests.rights.support import World

from privacyops.db import Database
from privacyops.policy.loader import load_declaration
from privacyops.settings import Settings
from privacyops.vault.service import Vault


@pytest.fixture
def environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PRIVACYOPS_ENV": "test",
        "PRIVACYOPS_DATABASE_URL": settings.database_url,
        "PRIVACYOPS_SECRET_KEY": settings.secret_key,
        "PRIVACYOPS_POLICY": str(settings.policy),
        "PRIVACYOPS_KEY_DIR": str(settings.key_dir),
        "PRIVACYOPS_DATA_DIR": str(settings.data_dir),
        "PRIVACYOPS_EMAIL_BACKEND": "outbox",
    }


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return World(db, Vault.from_settings(settings), settings, load_declaration(settings.policy))
