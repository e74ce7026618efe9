"""The audit API: tree heads, proofs, public key, export; malformed requests get a 4xx."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from privacyops.audit import auditor
from privacyops.audit.tasks import Run
from privacyops.staff.permissions import Role


@pytest.fixture
def auditor_client(staff_client: Callable[[Role], TestClient]) -> TestClient:
    return staff_client(Role.AUDITOR)


def test_heads_proofs_and_the_public_key(
    auditor_client: TestClient, append: Callable[..., list[int]], sequence: Callable[..., Run]
) -> None:
    ids = append(9)
    status = auditor_client.get("/api/v1/audit/log").json()
    assert status["pending"] >= 9  # the login itself is an event too
    events = auditor_client.get("/api/v1/audit/events", params={"pending": True}).json()
    assert all(e["pending"] and e["seq"] is None for e in events)
    sequenced = auditor_client.post("/api/v1/audit/sequence")
    assert sequenced.status_code == 200, sequenced.text
    assert sequenced.json()["pending"] == 0

    head = auditor_client.get("/api/v1/audit/heads/latest").json()
    key = auditor_client.get("/api/v1/audit/public-key").json()
    assert head["public_key"] == key["public_key"]
    assert "BEGIN PUBLIC KEY" in key["pem"]
    proof = auditor_client.get(f"/api/v1/audit/proof/{ids[4]}")
    assert proof.status_code == 200, proof.text
    auditor.check_inclusion(proof=proof.json(), head=head, public_key=key["public_key"])

    append(4)
    sequence()
    new_head = auditor_client.get("/api/v1/audit/heads/latest").json()
    listed = auditor_client.get("/api/v1/audit/heads").json()
    assert [h["tree_size"] for h in listed][:2] == [new_head["tree_size"], head["tree_size"]]
    consistency = auditor_client.get(
        "/api/v1/audit/consistency",
        params={"old_size": head["tree_size"], "new_size": new_head["tree_size"]},
    )
    assert consistency.status_code == 200, consistency.text
    auditor.check_consistency(proof=consistency.json(), old_head=head, new_head=new_head)

    exported = auditor_client.get("/api/v1/audit/heads/latest/export")
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.json() == new_head
    verified = auditor_client.get("/api/v1/audit/verify").json()
    assert verified["ok"]
    assert verified["signatures_checked"]


def test_malformed_proof_requests_get_a_4xx_in_the_error_shape(
    auditor_client: TestClient, append: Callable[..., list[int]], sequence: Callable[..., Run]
) -> None:
    append(3)
    sequence()
    size = auditor_client.get("/api/v1/audit/log").json()["tree_size"]
    pending = append(1)[0]
    cases = {
        "/api/v1/audit/proof/99999999": 404,
        "/api/v1/audit/proof/abc": 422,
        "/api/v1/audit/proof/0": 422,
        f"/api/v1/audit/proof/{pending}": 409,
        "/api/v1/audit/consistency?old_size=0&new_size=2": 422,
        f"/api/v1/audit/consistency?old_size=1&new_size={size + 5}": 422,
        "/api/v1/audit/consistency?old_size=3&new_size=2": 422,
        "/api/v1/audit/consistency?old_size=x&new_size=2": 422,
        "/api/v1/audit/consistency?old_size=1": 422,
    }
    for path, status in cases.items():
        answer = auditor_client.get(path)
        assert answer.status_code == status, (path, answer.text)
        error = answer.json()["error"]
        assert error["message"], path
        assert set(error) == {"code", "message", "field"}


def test_a_support_agent_may_not_sequence(staff_client: Callable[[Role], TestClient]) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    assert agent.post("/api/v1/audit/sequence").status_code == 403
