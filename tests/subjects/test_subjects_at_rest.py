"""Nothing personal is at rest in plaintext: not in the SQLite file, not in any column."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text
from tests.conftest import TEST_SECRET
from tests.subjects.factories import EMAIL, NAME, PHONE, SubjectFactory

from privacyops import migrate
from privacyops.db import Database
from privacyops.tables import Base
from privacyops.vault.service import Vault

# What a careless implementation would write: as typed, normalised, or in parts.
PLAINTEXTS = [
    EMAIL.encode(),
    EMAIL.lower().encode(),
    b"alice.zhang",
    b"13812345678",
    b"1234-5678",
    NAME.encode(),
]


def _sqlite_bytes(path: Path) -> bytes:
    return b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )


def test_no_plaintext_email_phone_or_name_in_the_sqlite_file_or_its_wal(
    tmp_path: Path, vault: Vault
) -> None:
    path = tmp_path / "at_rest.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    db = Database(url, secret=TEST_SECRET)
    make = SubjectFactory(db, vault)
    for n in range(3):
        make(email=EMAIL if n == 0 else f"user{n}@example.net", phone=PHONE if n == 0 else None)
    make(with_values=True)
    with db.engine.connect() as conn:
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()
        assert wal.stat().st_size > 0
        raw = _sqlite_bytes(path)
        assert b"service_support" in raw  # the scan does see what is stored in plaintext
        for plaintext in PLAINTEXTS:
            assert plaintext not in raw, plaintext
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    raw = _sqlite_bytes(path)
    assert b"service_support" in raw
    assert [p for p in PLAINTEXTS if p in raw] == []
    db.dispose()


def test_no_column_of_any_table_holds_a_personal_value(
    db: Database, make_subject: SubjectFactory
) -> None:
    make_subject(email=EMAIL, phone=PHONE, with_values=True)
    found: list[str] = []
    seen = b""
    with db.unit_of_work() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for column, value in zip(table.columns.keys(), row, strict=True):
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    seen += raw
                    found += [
                        f"{table.name}.{column}" for plaintext in PLAINTEXTS if plaintext in raw
                    ]
    assert b"service_support" in seen
    assert found == []
