"""What the benchmark scripts share: a fresh database per measurement, settings, a free port."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from privacyops.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policy" / "fstsmart.yaml"
SECRET = "bench-secret-" + "x" * 40


def database_url(tmp: Path, name: str) -> str:
    """A new empty database: a SQLite file in ``tmp``, or a new database on the server
    that ``BENCH_DATABASE_URL`` names."""
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp / (name + '.db')}"
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    db_name = f"bench_{name}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return url.set(database=db_name).render_as_string(hide_password=False)


def bench_settings(url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Test-mode settings on ``url`` with keys and files under ``data_dir``."""
    return Settings(
        env="test",
        database_url=url,
        data_dir=data_dir,
        key_dir=data_dir / "keys",
        secret_key=SECRET,
        policy=POLICY,
        **overrides,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
