"""Several real server processes on one PostgreSQL database, for the tests of shared state.

Each module gets a database of its own (the servers keep state of their own across
tests: caches, counters) and two ``uvicorn --factory privacyops.asgi:app``
processes on free loopback ports, configured through ``PRIVACYOPS_*`` variables
as a deployment would be. On SQLite the tests are skipped: one file is served by
one process.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ROOT, _base_url, create_database

from privacyops import migrate
from privacyops.db import Database
from privacyops.settings import Settings

LOGIN_LIMIT = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """One server process and a way to talk to it."""

    port: int
    process: subprocess.Popen[bytes]
    headers: dict[str, str] = field(default_factory=dict)

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = None if body is None else json.dumps(body)
            sent = {"content-type": "application/json", **self.headers, **(headers or {})}
            conn.request(method, path, body=payload, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
        finally:
            conn.close()

    def alive(self) -> bool:
        return self.process.poll() is None


def start_server(environment: dict[str, str], log: Path) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "privacyops.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=out, stderr=out)
    server = Server(port, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not server.alive():
            raise AssertionError(f"the server exited; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if server.call("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the server did not answer; see {log}")


@dataclass
class Cluster:
    settings: Settings
    db: Database
    environment: dict[str, str]
    servers: list[Server]
    logs: Path


@pytest.fixture(scope="module")
def cluster(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if _base_url() == "sqlite":
        pytest.skip("several server processes need PostgreSQL (SQLite is served by one process)")
    tmp = tmp_path_factory.mktemp("scale")
    url = create_database(tmp, "po_scale")
    migrate.upgrade(url)
    own = settings.model_copy(
        update={"database_url": url, "login_attempts_per_minute": LOGIN_LIMIT}
    )
    environment = {
        **os.environ,
        "PRIVACYOPS_ENV": "test",
        "PRIVACYOPS_DATABASE_URL": url,
        "PRIVACYOPS_SECRET_KEY": own.secret_key,
        "PRIVACYOPS_POLICY": str(own.policy),
        "PRIVACYOPS_KEY_DIR": str(own.key_dir),
        "PRIVACYOPS_DATA_DIR": str(own.data_dir),
        "PRIVACYOPS_EMAIL_BACKEND": "outbox",
        "PRIVACYOPS_JOBS": "off",
        "PRIVACYOPS_LOGIN_ATTEMPTS_PER_MINUTE": str(LOGIN_LIMIT),
    }
    db = Database(url, secret=own.secret_key)
    servers = [start_server(environment, tmp / f"server-{n}.log") for n in range(2)]
    try:
        yield Cluster(own, db, environment, servers, tmp)
    finally:
        for server in servers:
            if server.alive():
                server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
        db.dispose()
