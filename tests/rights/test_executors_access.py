"""Access and portability: every category in a streamed, encrypted package behind a token."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.rights.support import ACTOR, ALICE, BOB, World, json_of, store, unzip

from privacyops.db import utcnow
from privacyops.rights import executors
from privacyops.rights.executors import PackageError, package
from privacyops.rights.models import AccessPackage, RequestStep, RightsRequest
from privacyops.subjects import service as subjects
from privacyops.telemetry import service as telemetry


def _alice_with_history(world: World) -> str:
    alice = world.subject(ALICE, phone="+86 138-1234-5678")
    with world.db.unit_of_work() as session:
        store(
            session,
            world.vault,
            alice,
            "account",
            {"account_id": "acct-1", "email": ALICE, "created_at": "2026-01-02T03:04:05+00:00"},
            purpose="account_management",
        )
        for i in range(30):
            store(
                session,
                world.vault,
                alice,
                "support",
                {"ticket_id": f"T-{i}", "message": f"=SUM(A1) help with breaker {i}"},
                collected_at=utcnow() - timedelta(days=30 - i),
            )
    return alice


def test_the_package_holds_every_category_of_the_subject_and_nothing_of_others(
    world: World,
) -> None:
    alice = _alice_with_history(world)
    world.subject(BOB)
    request_id = world.request(alice, "access")

    report = world.execute(request_id)

    assert report.completed, report
    assert report.download_token is not None
    files = unzip(world.download(report.download_token))
    manifest = json_of(files, "manifest.json")
    names = {s["name"] for s in manifest["sections"]}
    assert {"data/account", "data/contact", "data/support", "consent", "requests"} <= names
    assert {"telemetry", "text_findings"} <= names
    contact = json_of(files, "data/contact.json")
    assert contact[0]["values"]["email"] == ALICE
    assert contact[0]["purpose"] == "service_support"
    support = json_of(files, "data/support.json")
    assert [r["values"]["ticket_id"] for r in support] == [f"T-{i}" for i in range(30)]
    everything = b"".join(files.values())
    assert BOB.encode() not in everything
    requests = json_of(files, "requests.json")
    assert [r["id"] for r in requests] == [request_id]


def test_csv_has_the_same_rows_and_neutralises_formulas(world: World) -> None:
    alice = _alice_with_history(world)
    report = world.execute(world.request(alice, "portability"))
    assert report.download_token is not None
    files = unzip(world.download(report.download_token))
    rows = list(csv.DictReader(io.StringIO(files["data/support.csv"].decode("utf-8-sig"))))
    assert len(rows) == 30
    assert rows[0]["message"].startswith("'=SUM")
    contact = list(csv.DictReader(io.StringIO(files["data/contact.csv"].decode("utf-8-sig"))))
    assert contact[0]["phone"] == "+86 138-1234-5678"  # a phone number is not a formula


def _summary(world: World, language: str) -> str:
    alice = _alice_with_history(world)
    request_id = world.request(alice, "access")
    with world.db.unit_of_work() as session:
        session.get_one(RightsRequest, request_id).language = language
    report = world.execute(request_id)
    assert report.download_token is not None
    return unzip(world.download(report.download_token))["summary.html"].decode()


def test_the_summary_speaks_the_requests_language_and_explains_each_category(
    world: World,
) -> None:
    summary = _summary(world, "en")
    assert '<html lang="en">' in summary
    assert "Your personal data" in summary
    assert "Contact data" in summary
    assert "Product and service delivery and support" in summary
    assert "您的个人信息" not in summary
    assert "联系信息" not in summary
    assert ALICE not in summary  # values live in the data files, not in the summary


def test_a_request_made_in_chinese_gets_its_summary_in_chinese(world: World) -> None:
    summary = _summary(world, "zh-CN")
    assert '<html lang="zh-CN">' in summary
    assert "您的个人信息" in summary
    assert "联系信息" in summary
    assert "我们保存的信息" in summary
    assert "年" in summary.split("生成于", 1)[1][:20]  # a Chinese date, e.g. 2026年12月8日
    for english in ("Your personal data", "Contact data", "What we hold", "Purposes"):
        assert english not in summary
    assert ALICE not in summary


def test_the_package_is_encrypted_at_rest_and_its_key_is_wrapped_by_the_subject(
    world: World,
) -> None:
    alice = _alice_with_history(world)
    report = world.execute(world.request(alice, "access"))
    with world.db.unit_of_work() as session:
        row = session.scalars(select(AccessPackage)).one()
        on_disk = (world.settings.packages_dir / row.path).read_bytes()
        assert on_disk.startswith(package.MAGIC)
        assert b"data/contact.json" not in on_disk
        assert ALICE.encode() not in on_disk
        assert report.download_token is not None
        secret = report.download_token.partition(".")[2]
        assert row.download_token_hash != secret
        assert secret not in row.download_token_hash
        step = session.scalars(select(RequestStep)).one()
        assert secret not in str(step.result)


def test_download_refuses_a_wrong_or_unknown_token_and_an_expired_one(world: World) -> None:
    alice = _alice_with_history(world)
    report = world.execute(world.request(alice, "access"))
    token = report.download_token
    assert token is not None
    package_id, _, secret = token.partition(".")
    for bad in (f"{package_id}.{secret[:-1]}x", f"999999.{secret}", "garbage", ""):
        with pytest.raises(PackageError) as refused:
            world.download(bad)
        assert refused.value.code == "not_found"
    later = utcnow() + timedelta(days=executors.access.PACKAGE_DAYS, seconds=1)
    with pytest.raises(PackageError) as expired:
        world.download(token, now=later)
    assert expired.value.code == "gone"
    assert world.download(token)  # the right token, in time


def test_a_reissued_token_replaces_the_old_one(world: World) -> None:
    alice = _alice_with_history(world)
    request_id = world.request(alice, "access")
    old = world.execute(request_id).download_token
    assert old is not None
    with world.db.unit_of_work() as session:
        new = executors.reissue_download(session=session, request_id=request_id, actor=ACTOR)
    with pytest.raises(PackageError):
        world.download(old)
    assert unzip(world.download(new))["manifest.json"]
    assert world.execute(request_id).download_token is None  # a completed request reruns nothing


def test_erasing_the_subject_kills_its_package(world: World) -> None:
    alice = _alice_with_history(world)
    token = world.execute(world.request(alice, "access")).download_token
    assert token is not None
    with world.db.unit_of_work() as session:
        subjects.erase(session=session, vault=world.vault, subject_id=alice, actor=ACTOR)
    with pytest.raises(PackageError) as gone:
        world.download(token)
    assert gone.value.code == "gone"


def test_a_changed_package_file_fails_to_decrypt(world: World) -> None:
    alice = _alice_with_history(world)
    token = world.execute(world.request(alice, "access")).download_token
    assert token is not None
    with world.db.unit_of_work() as session:
        path = world.settings.packages_dir / session.scalars(select(AccessPackage.path)).one()
    data = bytearray(path.read_bytes())
    data[-20] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(package.PackageIntegrityError):
        world.download(token)


def test_telemetry_of_owned_devices_is_in_the_package(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = _alice_with_history(world)
    seen: list[str] = []

    def readings(_session: object, subject_id: str) -> list[telemetry.LinkedReading]:
        seen.append(subject_id)
        return [telemetry.LinkedReading(7, "FST-B1", "electrical", utcnow(), {"voltage": 229.5})]

    monkeypatch.setattr(telemetry, "readings_for_subject", readings)
    token = world.execute(world.request(alice, "access")).download_token
    assert token is not None
    assert seen == [alice]
    rows = json_of(unzip(world.download(token)), "telemetry.json")
    assert rows == [
        {
            "device_id": 7,
            "device_model": "FST-B1",
            "kind": "electrical",
            "recorded_at": rows[0]["recorded_at"],
            "values": {"voltage": 229.5},
        }
    ]


def test_chunked_encryption_round_trips_and_detects_truncation(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    key = package.new_key()
    writer = package.EncryptingWriter(folder / "p.pkg", key, chunk_bytes=1000)
    payload = bytes(range(256)) * 20
    for start in range(0, len(payload), 333):
        writer.write(payload[start : start + 333])
    size, _digest = writer.finish()
    assert size == len(payload)
    assert b"".join(package.decrypt(folder / "p.pkg", key)) == payload
    sealed = (folder / "p.pkg").read_bytes()
    cut = sealed[: 18 + 2 * (4 + 1000 + 16)]  # header and exactly two chunks
    (folder / "cut.pkg").write_bytes(cut)
    with pytest.raises(package.PackageIntegrityError):
        b"".join(package.decrypt(folder / "cut.pkg", key))
