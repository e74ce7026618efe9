"""The device pages in Chinese: the page's own words, the views' notices and the stored
refusal reasons are translated when shown; English stays the default."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi.testclient import TestClient
from tests.telemetry.conftest import Fleet, alarm, electrical

from privacyops.db import Database
from privacyops.policy.schema import Declaration
from privacyops.staff.permissions import Role
from privacyops.telemetry import broker_log, messages, publisher
from privacyops.telemetry.views import reason_label
from privacyops.vault.service import Vault
from privacyops.web import i18n

SERIAL = "FST-MCB-63-0008810"


def _refuse_three_ways(db: Database, vault: Vault, declaration: Declaration, now: datetime) -> None:
    with db.unit_of_work() as session:
        messages.store_group(
            session=session,
            vault=vault,
            declaration=declaration,
            messages=[
                messages.Incoming(messages.topic_for(SERIAL), b"{broken"),
                messages.Incoming(
                    messages.topic_for(SERIAL),
                    publisher.batch_payload([electrical(now, frequency=90.0)]),
                ),
            ],
        )
        broker_log.record_denials(
            session=session,
            vault=vault,
            denials=[
                broker_log.Denial(
                    at=now,
                    user=SERIAL,
                    topic="fst/v1/devices/someone-else/telemetry",
                    size=42,
                    line="denied publish to someone-else",
                )
            ],
        )


def test_the_device_page_speaks_chinese_and_translates_refusal_reasons(
    staff_client: Callable[[Role], TestClient],
    fleet: Fleet,
    db: Database,
    vault: Vault,
    declaration: Declaration,
    now: datetime,
) -> None:
    device_id, _secret = fleet.device(SERIAL)
    fleet.ingest([electrical(now), alarm(now)], serial=SERIAL)
    _refuse_three_ways(db, vault, declaration, now)
    agent = staff_client(Role.SUPPORT_AGENT)

    english = agent.get(f"/admin/devices/{device_id}")
    assert english.status_code == 200
    assert "Refused input" in english.text
    assert "the body is not valid JSON" in english.text
    assert "1 of 1 readings refused; reading 0: frequency" in english.text
    assert "(not its topic)" in english.text

    chinese = agent.get(f"/admin/devices/{device_id}?lang=zh-CN")
    assert chinese.status_code == 200
    for words in ("被拒绝的输入", "所有权历史", "告警", "电压", "功率", "未解除", "登记信息"):
        assert words in chinese.text
    assert "消息体不是有效的 JSON" in chinese.text
    assert "1 条读数中有 1 条被拒绝；第 0 条读数：frequency" in chinese.text
    assert "（不是该设备的主题）" in chinese.text
    for english_words in ("Refused input", "Ownership history", "readings refused", "not its"):
        assert english_words not in chinese.text


def test_the_device_list_speaks_chinese_with_its_notices(
    staff_client: Callable[[Role], TestClient], fleet: Fleet
) -> None:
    fleet.device(SERIAL)
    agent = staff_client(Role.SUPPORT_AGENT)
    listing = agent.get("/admin/devices?lang=zh-CN")
    assert listing.status_code == 200
    assert "已登记 1 台设备。" in listing.text
    assert "按序列号查找设备" in listing.text
    unknown = agent.get("/admin/devices?serial=FST-NOPE-1")
    assert "没有设备使用此序列号。" in unknown.text
    nobody = agent.get("/admin/devices?account_id=nobody-here")
    assert "没有账号使用此 ID。" in nobody.text
    assert "No device has this serial." in agent.get("/admin/devices?serial=X&lang=en").text


def test_a_reason_no_pattern_knows_is_shown_as_stored() -> None:
    with i18n.speaking("zh-CN"):
        assert reason_label("something new went wrong") == "something new went wrong"
        assert (
            reason_label("could not be stored (OperationalError)") == "无法存储（OperationalError）"
        )
    with i18n.speaking("en"):
        assert reason_label("the message is empty") == "the message is empty"


def test_a_search_with_a_percent_sign_is_answered(
    staff_client: Callable[[Role], TestClient],
) -> None:
    agent = staff_client(Role.SUPPORT_AGENT)
    for query in ({"serial": "100%"}, {"serial": "%(x)s"}, {"account_id": "50%"}):
        page = agent.get("/admin/devices", params=query)
        assert page.status_code == 200
        assert 'role="alert"' in page.text
