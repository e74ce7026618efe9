from __future__ import annotations

import pytest

from privacyops.policy.loader import load_declaration
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.vault.service import Vault


@pytest.fixture(scope="session")
def declaration(settings: Settings) -> Declaration:
    return load_declaration(settings.policy)


@pytest.fixture
def vault(settings: Settings) -> Vault:
    return Vault.from_settings(settings)
