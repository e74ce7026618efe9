"""`privacyops audit ...`: verify names the first bad event, proofs print, heads export."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import update
from tests.audit import tamper
from typer.testing import CliRunner, Result

from privacyops.audit.models import AuditEvent
from privacyops.cli import app as cli
from privacyops.db import Database
from privacyops.settings import Settings


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            monkeypatch.setenv(f"PRIVACYOPS_{name.upper()}", str(value))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args))

    return invoke


def test_sequence_verify_and_the_first_bad_event(
    db: Database, append: Callable[..., list[int]], run: Callable[..., Result]
) -> None:
    append(5)
    result = run("audit", "status")
    assert "5 event(s) pending" in result.output
    result = run("audit", "sequence")
    assert result.exit_code == 0
    assert "sequenced 5 events" in result.output
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    with db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(action="edited"))
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "event 4" in result.output


def test_proof_consistency_export_and_verify_against_a_kept_head(
    db: Database, append: Callable[..., list[int]], run: Callable[..., Result], tmp_path: Path
) -> None:
    ids = append(6)
    run("audit", "sequence")
    kept = tmp_path / "head.json"
    result = run("audit", "export-head", "--out", str(kept))
    assert result.exit_code == 0, result.output
    assert json.loads(kept.read_text())["tree_size"] == 6
    append(3)
    run("audit", "sequence")
    result = run("audit", "proof", str(ids[2]), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["seq"] == 3
    result = run("audit", "proof", str(ids[2]))
    assert "verified" in result.output
    result = run("audit", "consistency", "6", "9")
    assert result.exit_code == 0
    assert "verified" in result.output
    result = run("audit", "verify", "--head", str(kept))
    assert result.exit_code == 0, result.output
    assert "exported head of size 6" in result.output
    result = run("audit", "public-key")
    assert result.exit_code == 0
    assert json.loads(kept.read_text())["public_key"] in result.output


def test_bad_requests_are_clear_errors(
    db: Database, append: Callable[..., list[int]], run: Callable[..., Result], tmp_path: Path
) -> None:
    append(2)
    run("audit", "sequence")
    for args, message in [
        (("audit", "proof", "999999"), "no audit event"),
        (("audit", "consistency", "0", "2"), "at least 1"),
        (("audit", "consistency", "1", "50"), "beyond the tree"),
        (("audit", "proof", str(append(1)[0])), "is pending"),
    ]:
        result = run(*args)
        assert result.exit_code == 1, args
        assert message in result.output, result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "privacyops-audit-tree-head/v1",\n "tree_size": ')
    result = run("audit", "verify", "--head", str(broken))
    assert result.exit_code == 1
    assert f"{broken}:2" in result.output


#: Each change an intruder can make, and what ``audit verify`` must name (see issue list).
TAMPERINGS: dict[str, tuple[Callable[[Database], None], str, str]] = {
    "forged": (lambda db: tamper.forge(db, 3), "event 3", "does not match its leaf"),
    "reordered": (lambda db: tamper.swap(db, 2, 5), "event 2", "does not match its leaf"),
    "deleted": (lambda db: tamper.delete_event(db, 4), "event 4", "missing (deleted)"),
    "inserted inside": (lambda db: tamper.insert_inside(db, 4, 7), "event 4", "does not match"),
    "inserted after": (lambda db: tamper.insert(db, 8), "event 8", "beyond the tree"),
    "changed tree head": (lambda db: tamper.change_head(db, 4), "tree head 4", "signature"),
    "truncated log": (lambda db: tamper.truncate_events(db, 6), "event 6", "the log ends"),
    "truncated log and tree": (lambda db: tamper.truncate_all(db, 4), "event 5", "truncated"),
}


@pytest.mark.parametrize("change", list(TAMPERINGS))
def test_verify_names_the_first_bad_event_or_head_and_exits_1(
    change: str, db: Database, append: Callable[..., list[int]], run: Callable[..., Result]
) -> None:
    append(4)
    run("audit", "sequence")
    append(3)
    run("audit", "sequence")  # heads at sizes 4 and 7
    assert run("audit", "verify").exit_code == 0
    alter, where, why = TAMPERINGS[change]
    alter(db)
    result = run("audit", "verify")
    assert result.exit_code == 1, result.output
    assert f"audit log broken at {where}:" in result.output
    assert why in result.output
