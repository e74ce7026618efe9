"""`privacyops subjects import FILE`: committed batches, bad lines by number, resumable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from privacyops.cli import app as cli
from privacyops.collection import batch
from privacyops.db import Database
from privacyops.settings import Settings
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import Identity, PersonalRecord, Subject
from privacyops.vault.service import Vault

runner = CliRunner()
HEADER = "account_id,email,display_name,language,country,created_at\n"


def account(i: int, email: str | None = None) -> str:
    address = email or f"c{i}@example.com"
    return f"acct-{i},{address},Customer {i},en,CN,2026-01-0{1 + i % 9}T00:00:00Z\n"


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))


def write(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts(db: Database) -> tuple[int, int, int]:
    with db.unit_of_work() as session:
        return (
            session.scalar(select(func.count(Subject.id))) or 0,
            session.scalar(select(func.count(Identity.id))) or 0,
            session.scalar(select(func.count(PersonalRecord.id))) or 0,
        )


@pytest.mark.usefixtures("env")
def test_a_small_csv_is_imported_readable_through_the_vault(
    tmp_path: Path, db: Database, vault: Vault
) -> None:
    path = write(tmp_path, HEADER + "".join(account(i) for i in range(1, 6)))
    result = runner.invoke(cli, ["subjects", "import", str(path), "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "5 rows imported (30 values, 5 new subjects)" in result.output
    assert counts(db) == (5, 10, 30)  # account_id and e-mail per subject
    with db.unit_of_work() as session:
        found = subjects.find_subject_by(
            session=session, vault=vault, kind="email", value="C3@example.com"
        )
        assert found is not None
        values = records.values_of(
            session=session, vault=vault, subject_id=found.id, reveal=True, actor="test"
        )
    assert {v.field: v.value for v in values}["display_name"] == "Customer 3"
    assert {(v.category, v.purpose, v.source) for v in values} == {
        ("account", "account_management", "import")
    }


@pytest.mark.usefixtures("env")
def test_a_bad_line_is_reported_by_number_and_the_good_lines_are_imported(
    tmp_path: Path, db: Database
) -> None:
    text = HEADER + account(1) + account(2, email="not-an-email") + account(3)
    text += 'acct-4,c4@example.com,"two\nlines",en,CN,2026-01-01T00:00:00Z\n'
    text += "acct-5,c5@example.com,short row\n"
    path = write(tmp_path, text)
    rejects = tmp_path / "rejected.csv"
    result = runner.invoke(cli, ["subjects", "import", str(path), "--rejects", str(rejects)])
    assert result.exit_code == 1
    assert f"{path}:3: email: must be an e-mail address" in result.output
    assert f"{path}:7: 3 cells, header has 6" in result.output
    assert "3 rows imported" in result.output
    assert "2 rejected" in result.output
    assert counts(db) == (3, 6, 18)  # nothing of lines 3 and 7
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file,line,field,error"
    assert [line.split(",")[1] for line in lines[1:]] == ["3", "7"]


@pytest.mark.usefixtures("env")
def test_strict_stops_at_the_first_bad_line_and_keeps_earlier_batches(
    tmp_path: Path, db: Database
) -> None:
    text = HEADER + account(1) + account(2) + account(3) + account(4, email="bad") + account(5)
    path = write(tmp_path, text)
    result = runner.invoke(cli, ["subjects", "import", str(path), "--batch", "2", "--strict"])
    assert result.exit_code == 1
    assert f"{path}:5: email: must be an e-mail address" in result.output
    assert counts(db)[0] == 2  # the first batch; the one with line 5 rolled back


@pytest.mark.usefixtures("env")
def test_a_rerun_after_an_interruption_imports_nothing_twice(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, HEADER + "".join(account(i) for i in range(1, 8)))
    real = batch.intake_batch
    calls = 0

    def crashing(*args: object, **kwargs: object) -> batch.BatchResult:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "intake_batch", crashing)
    interrupted = runner.invoke(cli, ["subjects", "import", str(path), "--batch", "2"])
    assert interrupted.exit_code != 0
    assert counts(db) == (4, 8, 24)  # two committed batches
    monkeypatch.setattr(batch, "intake_batch", real)
    resumed = runner.invoke(cli, ["subjects", "import", str(path), "--batch", "2"])
    assert resumed.exit_code == 0, resumed.output
    assert "3 rows imported" in resumed.output
    assert "4 already imported" in resumed.output
    assert counts(db) == (7, 14, 42)
    again = runner.invoke(cli, ["subjects", "import", str(path)])
    assert "0 rows imported" in again.output
    assert counts(db) == (7, 14, 42)


@pytest.mark.usefixtures("env")
def test_an_undeclared_column_refuses_the_file(tmp_path: Path, db: Database) -> None:
    path = write(tmp_path, "account_id,email,shoe_size,created_at\nacct-1,a@example.com,44,x\n")
    result = runner.invoke(cli, ["subjects", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:1: column 'shoe_size' is not declared for data category 'account'" in (
        result.output.replace("\n", "")
    )
    assert counts(db) == (0, 0, 0)


@pytest.mark.usefixtures("env")
def test_tickets_and_contacts_import_with_their_own_columns(tmp_path: Path, db: Database) -> None:
    tickets = write(
        tmp_path,
        "ticket_id,message,created_at,requester_email\n"
        "T-1,Breaker trips at night,2026-11-20T10:00:00Z,t1@example.com\n",
        "tickets.csv",
    )
    result = runner.invoke(cli, ["subjects", "import", str(tickets), "--category", "support"])
    assert result.exit_code == 0, result.output
    contacts = write(
        tmp_path, "name,email,country,region\nAnn,t1@example.com,US,CA\n", "contacts.csv"
    )
    result = runner.invoke(cli, ["subjects", "import", str(contacts), "--category", "contact"])
    assert result.exit_code == 0, result.output
    assert "1 rows imported (3 values, 0 new subjects)" in result.output  # region not stored
    missing = runner.invoke(cli, ["subjects", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1
    assert "nope.csv" in missing.output
