from __future__ import annotations

import pytest
from tests.subjects.factories import SubjectFactory

from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.vault.service import Vault


@pytest.fixture
def vault(settings: Settings) -> Vault:
    return Vault.from_settings(settings)


@pytest.fixture
def make_subject(db: Database, vault: Vault) -> SubjectFactory:
    return SubjectFactory(db, vault)
