"""Two server processes on one PostgreSQL: shared limits, cross-worker withdrawal, SIGKILL.

Requests go to both processes in turn (or at once, from threads); every figure
asserted is what a single process allows, so the tests fail if either process
kept its own count or served a stale consent answer.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from tests.conftest import ROOT
from tests.scale.conftest import LOGIN_LIMIT, Cluster, Server

from privacyops.consent.models import ConsentEvent
from privacyops.limits.models import LimitCounter
from privacyops.rights import verification
from privacyops.rights.models import VerificationCode
from privacyops.staff import service as staff
from privacyops.staff.permissions import Role
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

PURPOSE = "product_analytics"


def integration(cluster: Cluster) -> dict[str, str]:
    with cluster.db.unit_of_work() as session:
        key, _client = staff.create_api_client(
            session=session,
            name=f"app-{uuid.uuid4().hex[:8]}",
            scopes=["consent.read", "consent.write"],
            actor="staff:test",
        )
    return {"x-api-key": key}


def new_subject(cluster: Cluster) -> str:
    with cluster.db.unit_of_work() as session:
        return subjects.create_subject(
            session=session, kind="customer", country="DE", actor="staff:test"
        ).id


def forget_counters(cluster: Cluster) -> None:
    with cluster.db.engine.begin() as conn:
        conn.execute(delete(LimitCounter))


def spread(servers: list[Server], calls: list[tuple[str, str, Any]], **kw: Any) -> list[int]:
    """Send the calls at once from threads, call i to server i % 2; returns the statuses."""

    def one(i: int) -> int:
        method, path, body = calls[i]
        return servers[i % len(servers)].call(method, path, body, **kw)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(len(calls))))


def test_failed_logins_through_two_workers_stop_at_one_limit(cluster: Cluster) -> None:
    forget_counters(cluster)
    with cluster.db.unit_of_work() as session:
        staff.create_staff(
            session=session, username="dana", role=Role.ADMIN, password="correct-horse-battery"
        )
    wrong = {"username": "dana", "password": "not-the-password"}
    statuses = spread(cluster.servers, [("POST", "/api/v1/auth/login", wrong)] * 12)
    assert Counter(statuses) == {401: LOGIN_LIMIT, 429: 12 - LOGIN_LIMIT}
    right = {"username": "dana", "password": "correct-horse-battery"}
    assert cluster.servers[1].call("POST", "/api/v1/auth/login", right)[0] == 429


def test_public_intake_through_two_workers_stops_at_one_allowance(cluster: Cluster) -> None:
    forget_counters(cluster)
    calls = [
        ("POST", "/api/v1/requests", {"type": "restriction", "email": f"p{n}@example.com"})
        for n in range(26)
    ]
    statuses = spread(cluster.servers, calls)
    assert Counter(statuses) == {201: 20, 429: 6}


def test_one_time_code_attempts_through_two_workers_stop_at_one_limit(cluster: Cluster) -> None:
    forget_counters(cluster)
    status, made = cluster.servers[0].call(
        "POST", "/api/v1/requests", {"type": "restriction", "email": "otc@example.com"}
    )
    assert status == 201, made
    request_id, token = made["id"], made["token"]
    with cluster.db.unit_of_work() as session:
        stored = session.scalars(
            select(VerificationCode.code_hash).where(VerificationCode.request_id == request_id)
        ).one()
    vault = Vault.from_settings(cluster.settings)
    guesses = [
        f"{n:06d}"
        for n in range(100)
        if verification.code_hash(vault, request_id, f"{n:06d}") != stored
    ][:10]
    calls = [("POST", f"/api/v1/requests/{request_id}/verify", {"code": g}) for g in guesses]
    statuses = spread(cluster.servers, calls, headers={"x-requester-token": token})
    # One process: four "wrong code" answers, then the fifth uses the code up; 429 from then on.
    assert Counter(statuses) == {422: verification.MAX_ATTEMPTS - 1, 429: 6}
    with cluster.db.unit_of_work() as session:
        attempts = session.scalar(
            select(VerificationCode.attempts).where(VerificationCode.request_id == request_id)
        )
    assert attempts == verification.MAX_ATTEMPTS


def check(server: Server, subject_id: str) -> bool:
    status, body = server.call(
        "GET", f"/api/v1/consent/subjects/{subject_id}/check?purpose={PURPOSE}"
    )
    assert status == 200, body
    allowed: bool = body["allowed"]
    return allowed


def test_a_withdrawal_through_one_worker_is_honoured_by_the_other_at_its_next_check(
    cluster: Cluster,
) -> None:
    a, b = cluster.servers
    a.headers = b.headers = integration(cluster)
    for round_ in range(10):
        writer, reader = (a, b) if round_ % 2 == 0 else (b, a)
        subject_id = new_subject(cluster)
        status, _ = writer.call(
            "POST",
            f"/api/v1/consent/subjects/{subject_id}/choices",
            {"choices": {"analytics": True}},
        )
        assert status == 201
        assert check(reader, subject_id) is True  # the reader's cache now holds a "yes"
        assert check(reader, subject_id) is True
        status, _ = writer.call("POST", f"/api/v1/consent/subjects/{subject_id}/withdraw", {})
        assert status == 201
        assert check(reader, subject_id) is False, f"round {round_}: stale answer"


def audit_verify(cluster: Cluster) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "privacyops"), "audit", "verify"],
        env=cluster.environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_nothing_answered_is_lost_when_a_worker_is_killed_mid_load(cluster: Cluster) -> None:
    """Saves through both workers from 8 threads; one worker gets SIGKILL halfway."""
    a, b = cluster.servers
    a.headers = b.headers = integration(cluster)
    subject_ids = [new_subject(cluster) for _ in range(8)]
    answered: list[str] = []
    failed = Counter[str]()
    lock = threading.Lock()
    started = threading.Barrier(9)

    def client(n: int) -> None:
        started.wait()
        for i in range(40):
            server = (a, b)[(n + i) % 2]
            body = {"choices": {"analytics": i % 2 == 0}}
            try:
                status, made = server.call(
                    "POST", f"/api/v1/consent/subjects/{subject_ids[n]}/choices", body
                )
            except OSError:
                with lock:
                    failed["connection"] += 1
                continue
            with lock:
                if 200 <= status < 300:
                    answered.append(made["receipt_id"])
                else:
                    failed[str(status)] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    started.wait()
    while True:  # kill once the load is well under way
        with lock:
            if len(answered) >= 60:
                break
        threading.Event().wait(0.01)
    a.process.send_signal(signal.SIGKILL)
    a.process.wait(timeout=30)
    for thread in threads:
        thread.join()
    assert failed["connection"] > 0, "the kill came too late to hit the load"
    assert set(failed) <= {"connection"}, failed
    with cluster.db.unit_of_work() as session:
        stored = set(session.scalars(select(ConsentEvent.receipt_id).distinct()))
        events = session.scalar(select(func.count()).select_from(ConsentEvent))
    missing = [r for r in answered if r not in stored]
    assert not missing, f"{len(missing)} answered saves are not in the database"
    assert events is not None
    assert events >= len(answered)
    verified = audit_verify(cluster)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert check(b, subject_ids[0]) in (True, False)
