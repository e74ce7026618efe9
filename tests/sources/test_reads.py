"""Every statement goes through an index; statements and rows read follow the person's rows,
not the table's (counted with ``before_cursor_execute``, rows read asked of the database)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import event
from tests.rights.support import ALICE, World
from tests.sources import shop
from tests.sources.conftest import External
from tests.sources.reads import full_scan, rows_read

from privacyops.rights import connectors
from privacyops.sources import dialects

OTHERS = 2000  # customers with 3 orders each around the person: 8000 rows she does not own
DATA = re.compile(r"\bFROM\s+[`\"]?(customer|orders|order_lines|reviews|newsletter)[`\"]?\s", re.I)


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    real = dialects.engine_for

    def listening(url: str, *, timeout: float = 10.0) -> Any:
        engine = real(url, timeout=timeout)
        if not event.contains(engine, "before_cursor_execute", remember):
            event.listen(engine, "before_cursor_execute", remember)
        return engine

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    monkeypatch.setattr("privacyops.sources.connector.engine_for", listening)
    return seen


def test_access_reads_only_the_persons_rows_through_indexes(
    world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.create(external.engine, others=OTHERS)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    world.declaration = shop.declaration(world)
    alice = world.subject(ALICE, phone=shop.ALICE_PHONE)
    seen = _capture(monkeypatch)

    report = world.execute(world.request(alice, "access"))

    assert report.download_token is not None, report
    data = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT") and DATA.search(s)]
    assert len(data) == 5  # one statement per table, whatever the table's size
    total = 0
    for statement, parameters in data:
        read, kinds = rows_read(external.engine, statement, parameters)
        assert not full_scan(external.engine, kinds), (statement, kinds)
        total += read
    # Her 9 rows (1 customer, 3 orders, 3 lines, 1 review, 1 subscription), plus the index
    # probes the engines count (MariaDB counts a read per key looked up and one past the end).
    assert total <= 9 * 3, total


def test_erasure_statements_follow_the_persons_rows(
    world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.create(external.engine, others=OTHERS)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    world.declaration = shop.declaration(world)
    alice = world.subject(ALICE, phone=shop.ALICE_PHONE)
    seen = _capture(monkeypatch)

    assert world.execute(world.request(alice, "deletion")).completed
    changes = [s for s, _ in seen if re.match(r"\s*(UPDATE|DELETE)\b", s, re.I)]
    # Per table one UPDATE or DELETE by primary key (two with per-row values: read, write).
    assert len(changes) == 5, changes
    for statement in changes:
        assert re.search(r"WHERE .*\bid\b", statement, re.S), statement


def test_a_lookup_column_that_leads_no_index_is_refused(
    world: World, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.create(external.engine)
    monkeypatch.setenv("SHOP_DATABASE_URL", external.url)
    world.declaration = shop.declaration(
        world,
        """      - name: notes
        reached_through: {column: customer_id, references: customer.id}
        fields:
          - {name: body, type: text, erase: delete_row}
""",
    )
    alice = world.subject(ALICE)
    report = world.execute(world.request(alice, "access"))
    assert report.failed_step == "build_package"
    assert report.error is not None
    assert "shop.notes: referencing column 'customer_id' leads no index" in report.error
    assert isinstance(connectors.ConnectorError("x"), RuntimeError)
