"""Shared fixtures: a real database (SQLite or PostgreSQL), the app, logged-in clients.

`PRIVACYOPS_TEST_DATABASE_URL` picks the database; `scripts/test.sh` runs the whole
suite once against SQLite and once against a PostgreSQL it starts. Each test starts
from empty tables: rows are deleted after the test, so the app's own commits and
several connections behave exactly as in production.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from privacyops import migrate
from privacyops.app import create_app
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.staff import service as staff
from privacyops.staff.permissions import Role
from privacyops.tables import Base

ROOT = Path(__file__).resolve().parents[1]
TEST_SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct-horse-battery"


def sqlite_file_bytes(path: Path) -> bytes:
    """The bytes of a live SQLite file (or its WAL), read by a child process.

    POSIX locks belong to a process: closing any descriptor of a file drops every lock
    the process holds on it. A plain read here would release the shared lock the open
    connections keep on the database, and the next connection to close elsewhere (a CLI
    subprocess) would take itself for the last one and delete the shared-memory index
    under them, which SQLite then reports as a disk I/O error.
    """
    if not path.exists():
        return b""
    return subprocess.run(["cat", str(path)], check=True, capture_output=True).stdout


def _base_url() -> str:
    return os.environ.get("PRIVACYOPS_TEST_DATABASE_URL", "sqlite")


def create_database(tmp: Path, name: str) -> str:
    """A new, empty database of the kind under test; returns its URL."""
    base = _base_url()
    if base == "sqlite":
        return f"sqlite:///{tmp / (name + '.db')}"
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    db_name = f"{name}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return url.set(database=db_name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = create_database(tmp_path_factory.mktemp("db"), "po_test")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("var")
    return Settings(
        env="test",
        database_url=database_url,
        data_dir=data,
        key_dir=data / "keys",
        secret_key=TEST_SECRET,
        max_body_bytes=64 * 1024,
        login_attempts_per_minute=5,
        policy=ROOT / "policy" / "fstsmart.yaml",
    )


@pytest.fixture(scope="session")
def shared_db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url, secret=settings.secret_key)
    yield database
    database.dispose()


@pytest.fixture
def db(shared_db: Database) -> Iterator[Database]:
    yield shared_db
    with shared_db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    app = create_app(settings, db=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def new_client(settings: Settings, db: Database) -> Callable[[], TestClient]:
    """More independent browsers/integrations against the same app and database."""
    app = create_app(settings, db=db)

    def make() -> TestClient:
        return TestClient(app, raise_server_exceptions=False)

    return make


@pytest.fixture
def make_staff(db: Database) -> Callable[..., int]:
    def make(username: str, role: Role | str = Role.ADMIN, password: str = PASSWORD) -> int:
        with db.unit_of_work() as session:
            return staff.create_staff(
                session=session, username=username, role=role, password=password
            ).id

    return make


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the API; sets the session cookie and returns the CSRF token."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    client.headers["x-csrf-token"] = token
    return token


@pytest.fixture
def staff_client(
    new_client: Callable[[], TestClient], make_staff: Callable[..., int]
) -> Callable[[Role], TestClient]:
    """A client logged in as a fresh staff member of the given role."""

    def make(role: Role) -> TestClient:
        client = new_client()
        username = f"{role.value.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
        make_staff(username, role)
        login(client, username)
        return client

    return make
