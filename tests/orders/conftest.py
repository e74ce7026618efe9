from __future__ import annotations

import pytest
from tests.rights.support import World

from privacyops.db import Database
from privacyops.policy.loader import load_declaration
from privacyops.settings import Settings
from privacyops.vault.service import Vault


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return World(db, Vault.from_settings(settings), settings, load_declaration(settings.policy))
