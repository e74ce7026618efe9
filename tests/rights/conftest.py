from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.rights.support import World

from privacyops.db import Database
from privacyops.policy.loader import load_declaration
from privacyops.policy.schema import Declaration
from privacyops.rights import connectors
from privacyops.settings import Settings
from privacyops.vault.service import Vault


@pytest.fixture(scope="session")
def declaration(settings: Settings) -> Declaration:
    return load_declaration(settings.policy)


@pytest.fixture
def vault(settings: Settings) -> Vault:
    return Vault.from_settings(settings)


@pytest.fixture
def world(db: Database, vault: Vault, settings: Settings, declaration: Declaration) -> World:
    return World(db, vault, settings, declaration)


@pytest.fixture(autouse=True)
def _close_external_engines() -> Iterator[None]:
    yield
    connectors.dispose_engines()
