"""kill -9 in the middle of the work, then a restart: nothing acknowledged is lost, nobody is
left half-erased, and the rerun ends where one clean run would have.

The work runs in a real child process (``tests/faults/child.py``, or ``privacyops serve``)
against the test database, and is killed with SIGKILL: no ``finally``, no rollback
handler, no flush runs. What survives is what was committed.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.browser import free_port
from tests.rights.support import ALICE, BOB, World, store, unzip

from privacyops.audit import service as audit
from privacyops.db import Database, utcnow
from privacyops.rights.executors import download
from privacyops.rights.models import RequestStep, RightsRequest
from privacyops.staff import service as staff
from privacyops.subjects.models import Identity, PersonalRecord, Subject
from privacyops.telemetry import pseudonyms
from privacyops.telemetry import service as telemetry
from privacyops.telemetry.models import Reading
from privacyops.vault.errors import VaultError

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 2400  # three committed purge batches of 1,000


def _child(request_id: str, environment: dict[str, str], *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.child", request_id, *flags],
        cwd=ROOT,
        env={**environment, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"the child ended before the kill: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the point to kill at was never reached")
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _finish(request_id: str, environment: dict[str, str]) -> str:
    process = _child(request_id, environment)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out.strip()


def _steps(db: Database, request_id: str) -> dict[str, str]:
    with db.unit_of_work() as session:
        return dict(
            session.execute(
                select(RequestStep.name, RequestStep.status).where(
                    RequestStep.request_id == request_id
                )
            ).all()
        )


def _count(db: Database, model: type, *where: object) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def _big_subject(world: World, email: str) -> str:
    subject_id = world.subject(email)
    now = utcnow()
    with world.db.unit_of_work() as session:
        for i in range(RECORDS // 2):
            store(
                session,
                world.vault,
                subject_id,
                "support",
                {
                    "subject": f"ticket {i}",
                    "message": f"breaker trips, log {secrets.token_hex(64)}",
                },
                collected_at=now - timedelta(minutes=i + 1),
            )
    return subject_id


def test_an_erasure_killed_mid_purge_leaves_the_data_unreadable_and_the_rerun_finishes(
    world: World, environment: dict[str, str]
) -> None:
    subject_id = _big_subject(world, ALICE)
    other = world.subject(BOB)
    request_id = world.request(subject_id, "deletion")
    before = _count(world.db, PersonalRecord, PersonalRecord.subject_id == subject_id)
    assert before > RECORDS

    child = _child(request_id, environment, "--pause", "0.5")

    def mid_purge() -> bool:
        left = _count(world.db, PersonalRecord, PersonalRecord.subject_id == subject_id)
        return 0 < left < before

    _kill_when(child, mid_purge, limit=120)

    steps = _steps(world.db, request_id)
    assert steps["shred"] == "done"
    assert steps["purge"] != "done"
    assert steps["proof"] != "done"
    with world.db.unit_of_work() as session:
        assert session.get_one(Subject, subject_id).state == "erased"
        assert (
            session.scalar(
                select(func.count()).select_from(Identity).where(Identity.subject_id == subject_id)
            )
            == 0
        )
        left = session.scalars(
            select(PersonalRecord).where(PersonalRecord.subject_id == subject_id).limit(1)
        ).one()
        world.vault.cache.evict(subject_id)  # as a process that never held the key
        with pytest.raises(VaultError):
            world.vault.decrypt(
                session=session,
                subject_id=subject_id,
                category=left.category,
                field=left.field,
                ciphertext=left.ciphertext,
            )

    assert _finish(request_id, environment) == "completed"

    assert _count(world.db, PersonalRecord, PersonalRecord.subject_id == subject_id) == 0
    assert set(_steps(world.db, request_id).values()) == {"done"}
    assert world.values_of(other)["email"] == BOB  # nobody else was touched
    with world.db.unit_of_work() as session:
        assert session.get_one(RightsRequest, request_id).status == "completed"
        assert audit.verify(session=session).ok


def test_an_access_export_killed_while_writing_leaves_nothing_readable_and_the_rerun_delivers(
    world: World, environment: dict[str, str]
) -> None:
    subject_id = _big_subject(world, ALICE)
    request_id = world.request(subject_id, "access")
    packages = world.settings.packages_dir
    part = packages / f"{request_id}.pkg.part"

    child = _child(request_id, environment, "--slow-writes", "0.2")
    _kill_when(child, lambda: part.exists() and part.stat().st_size > 1024, limit=120)  # a chunk in

    assert not (packages / f"{request_id}.pkg").exists()  # only a complete package is in place
    assert _steps(world.db, request_id)["build_package"] != "done"
    with world.db.unit_of_work() as session:
        assert session.get_one(RightsRequest, request_id).status != "completed"

    assert _finish(request_id, environment) == "completed"

    assert not part.exists()
    with world.db.unit_of_work() as session:
        token = download.reissue_download(session=session, request_id=request_id, actor="staff:t")
    files = unzip(world.download(token))
    tickets = json.loads(files["data/support.json"])
    assert len(tickets) == RECORDS // 2  # one row a ticket, every one of them
    assert len({t["values"]["message"] for t in tickets}) == RECORDS // 2


@contextmanager
def _server(environment: dict[str, str], port: int) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("privacyops")), "serve", "--no-demo"],
        cwd=ROOT,
        env={**environment, "PRIVACYOPS_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the server did not start: {process.communicate()[1]}")
        time.sleep(0.1)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_telemetry_acknowledged_before_a_kill_9_of_the_server_is_all_there_after_restart(
    world: World, environment: dict[str, str]
) -> None:
    with world.db.unit_of_work() as session:
        _device, secret = telemetry.register_device(
            session=session,
            vault=world.vault,
            serial="FST-MCB-63-0009001",
            model="FST-MCB-63",
            firmware="2.4.0",
            region="CN",
            actor="staff:t",
        )
        key, _ = staff.create_api_client(
            session=session, name="fleet", scopes=["telemetry.write"], actor="staff:t"
        )
    start = utcnow().replace(microsecond=0) - timedelta(days=1)

    def batch(n: int) -> bytes:
        readings = [
            {
                "kind": "electrical",
                "recorded_at": (start + timedelta(seconds=n * 500 + i)).isoformat(),
                "voltage": 229.0 + i % 5,
                "current": 1.2,
                "power": 100.0 + i,
                "energy": 1000.0 + n * 500 + i,
                "power_factor": 0.95,
                "frequency": 50.0,
                "temperature": 30.5,
            }
            for i in range(500)
        ]
        return json.dumps({"readings": readings}).encode()

    def send(port: int, n: int) -> httpx.Response:
        body = batch(n)
        return httpx.post(
            f"http://127.0.0.1:{port}/api/v1/telemetry/batches",
            content=body,
            headers={
                "authorization": f"Bearer {key}",
                "content-type": "application/json",
                "x-device-serial": "FST-MCB-63-0009001",
                "x-signature": pseudonyms.sign(secret, body),
            },
            timeout=30,
        )

    acknowledged: list[int] = []
    port = free_port()
    with _server(environment, port) as server:
        for n in range(4):
            response = send(port, n)
            assert response.status_code == 200, response.text
            assert response.json()["stored"] == 500
            acknowledged.append(n)
        server.send_signal(signal.SIGKILL)  # dies between batches, or during the next one
        server.wait(timeout=30)
        with pytest.raises(httpx.HTTPError):
            send(port, 4)
    assert _count(world.db, Reading) == 500 * len(acknowledged)

    port = free_port()
    with _server(environment, port):
        again = send(port, acknowledged[-1])  # a device resends a batch whose answer it missed
        assert again.status_code == 200
        assert again.json()["duplicates"] == 500
        assert again.json()["stored"] == 0
        assert send(port, 4).json()["stored"] == 500
    assert _count(world.db, Reading) == 500 * 5
