"""`privacyops audit ...`: verify names the first bad event, proofs print, heads export."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import update
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
    ]:
        result = run(*args)
        assert result.exit_code == 1, args
        assert message in result.output, result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "privacyops-audit-tree-head/v1",\n "tree_size": ')
    result = run("audit", "verify", "--head", str(broken))
    assert result.exit_code == 1
    assert f"{broken}:2" in result.output
