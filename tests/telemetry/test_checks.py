"""The reading checks come from the declaration: its fields, types, units and retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.telemetry.conftest import alarm, electrical, status

from privacyops.policy.loader import parse_declaration
from privacyops.policy.schema import Declaration
from privacyops.settings import Settings
from privacyops.telemetry.checks import FROM_ELSEWHERE, Rules, RulesError, rules_for
from privacyops.telemetry.models import COLUMNS

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
KEY = b"k" * 16


def test_every_declared_telemetry_field_is_checked_and_stored(declaration: Declaration) -> None:
    rules = rules_for(declaration)
    assert rules is rules_for(declaration)  # compiled once per declaration
    for kind, kind_rules in rules.kinds.items():
        category = declaration.category(kind_rules.category)
        declared = {f.name for f in category.fields} - FROM_ELSEWHERE
        assert set(kind_rules.fields) == declared, kind
        assert kind_rules.retention == timedelta(days=365)
    assert rules.linked_kinds() == ["alarm", "electrical", "status"]


def test_a_good_row_lands_in_column_order(declaration: Declaration) -> None:
    rows, rejected, duplicates = rules_for(declaration).check(
        KEY, [electrical(NOW), status(NOW), alarm(NOW, cleared_at=NOW.isoformat())], NOW
    )
    assert (rejected, duplicates) == ([], 0)
    row = dict(zip(COLUMNS, rows[0], strict=True))
    assert row["device_key"] == KEY
    assert row["recorded_at"] == NOW
    assert row["voltage"] == 229.5
    assert row["online"] is None
    assert dict(zip(COLUMNS, rows[2], strict=True))["cleared_at"] == NOW


@pytest.mark.parametrize(
    ("reading", "field"),
    [
        (electrical(NOW, power_factor=1.5), "power_factor"),
        (electrical(NOW, frequency="50"), "frequency"),
        (electrical(NOW, temperature=float("inf")), "temperature"),
        (status(NOW, signal_strength=-60.5), "signal_strength"),
        (status(NOW, online="yes"), "online"),
        (status(NOW, firmware_version="x" * 33), "firmware_version"),
        (alarm(NOW, cleared_at=(NOW - timedelta(hours=1)).isoformat()), "cleared_at"),
        (alarm(NOW, severity="apocalyptic"), "severity"),
        (electrical(NOW, units={"voltage": "V", "tempo": "bpm"}), "units"),
        (electrical(NOW, units="V"), "units"),
        ({"kind": "electrical", "recorded_at": NOW.isoformat()}, None),
        ({"kind": "electrical", "voltage": 230.0}, "recorded_at"),
        ("230 V", None),
    ],
)
def test_a_bad_value_is_named(declaration: Declaration, reading: object, field: str | None) -> None:
    rows, rejected, _ = rules_for(declaration).check(KEY, [reading], NOW)
    assert rows == []
    assert [r.field for r in rejected] == [field]


def test_matching_units_are_accepted(declaration: Declaration) -> None:
    reading = electrical(NOW, units={"voltage": "V", "current": "A", "temperature": "°C"})
    rows, rejected, _ = rules_for(declaration).check(KEY, [reading], NOW)
    assert (len(rows), rejected) == (1, [])


def test_a_declared_unit_the_checks_do_not_know_is_refused(settings: Settings) -> None:
    text = Path(settings.policy).read_text(encoding="utf-8")
    changed = text.replace(
        "{name: voltage, type: number, unit: V}", "{name: voltage, type: number, unit: kV}"
    )
    assert changed != text
    with pytest.raises(RulesError, match="voltage"):
        Rules(parse_declaration(changed, name="kv.yaml"))
