"""External databases for the sources tests: the test PostgreSQL (or a SQLite stand-in) and a
MariaDB this session starts; each test gets a new, empty database on one of them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from tests import mariadb
from tests.conftest import create_database
from tests.rights.support import World

from privacyops.db import Database
from privacyops.policy.loader import load_declaration
from privacyops.policy.schema import Declaration
from privacyops.rights import connectors
from privacyops.settings import Settings
from privacyops.vault.service import Vault


@pytest.fixture(scope="session")
def mariadb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[mariadb.MariaDB]:
    reason = mariadb.available()
    if reason is not None:
        pytest.skip(reason)
    server = mariadb.start(tmp_path_factory.mktemp("mariadb"))
    assert server is not None
    yield server
    server.stop()


@dataclass
class External:
    """A new database of one kind: where the company's shop data lives in the test."""

    kind: str
    url: str
    engine: Engine


@pytest.fixture(params=["postgresql", "mariadb"])
def external(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[External]:
    name = f"shop_{uuid.uuid4().hex[:8]}"
    if request.param == "mariadb":
        server: mariadb.MariaDB = request.getfixturevalue("mariadb_server")
        url = server.create_database(name)
    else:  # the test PostgreSQL, or a SQLite file when the suite runs without one
        url = create_database(tmp_path, name)
    engine = create_engine(url)
    yield External(engine.dialect.name, url, engine)
    engine.dispose()


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
