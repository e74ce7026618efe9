"""A throwaway MariaDB server: a temp data dir, a free loopback port, no grant tables.

Used by the tests' session fixture (``tests/sources/conftest.py``) and by
``bench/sources.py``. ``start`` returns ``None`` when the server binaries are
not installed (Debian ``mariadb-server``), so callers can skip with a reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SERVER = "/usr/sbin/mariadbd"
INSTALL = "mariadb-install-db"


@dataclass
class MariaDB:
    process: subprocess.Popen[bytes]
    folder: Path
    port: int

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    def create_database(self, name: str) -> str:
        import pymysql

        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root")
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        finally:
            conn.close()
        return self.url(name)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def available() -> str | None:
    """Why MariaDB cannot be started here, or None when it can."""
    if not Path(SERVER).exists() or shutil.which(INSTALL) is None:
        return f"MariaDB server not installed ({SERVER}; apt-get install mariadb-server)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(folder: Path, *, buffer_pool: str = "128M") -> MariaDB | None:
    if available() is not None:
        return None
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            INSTALL,
            "--no-defaults",
            f"--datadir={data}",
            *user,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = _free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [
            SERVER,
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={folder / 'mysqld.sock'}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--skip-grant-tables",
            "--skip-name-resolve",
            "--innodb-flush-log-at-trx-commit=2",
            f"--innodb-buffer-pool-size={buffer_pool}",
            f"--pid-file={folder / 'mysqld.pid'}",
            *user,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = MariaDB(process, folder, port)
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"MariaDB did not start; see {folder / 'server.log'}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"MariaDB did not listen on port {port}; see {folder / 'server.log'}")


__all__ = ["MariaDB", "available", "start"]
