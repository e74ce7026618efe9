"""What a reading may contain, compiled once from the declaration, and the check of a batch.

Each reading kind is one declared category (``CATEGORY``). A reading may
carry only that category's declared fields, each of its declared type; the
category's ``device_id`` and ``device_model`` come from the request header and
the registry, never from the reading. Numbers must be finite and inside a
plausible physical range for the declared unit (``RANGES``); a reading may
state the units it uses (``"units": {"voltage": "V"}``), and a unit other than
the declared one is refused rather than converted. Times must carry a zone,
lie no more than ``FUTURE_SKEW`` ahead of the server clock, and not be older
than the category's retention (such a reading would be expired on arrival).

The checks run in a tight loop (the ingest target is half the speed of a raw
COPY), so plain numbers are tested inline and every other field gets a small
closure, instead of a generic validator; about 2.5 µs per reading here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from privacyops.policy.schema import Declaration, FieldDecl
from privacyops.telemetry.models import COLUMNS, ReadingKind

CATEGORY: dict[ReadingKind, str] = {
    ReadingKind.STATUS: "hardware_status",
    ReadingKind.ELECTRICAL: "electrical_parameters",
    ReadingKind.ALARM: "alarm_records",
}
#: The declared field that holds each kind's time; it is stored as ``recorded_at``.
TIME_FIELD: dict[ReadingKind, str] = {
    ReadingKind.STATUS: "reported_at",
    ReadingKind.ELECTRICAL: "recorded_at",
    ReadingKind.ALARM: "occurred_at",
}
FROM_ELSEWHERE = frozenset({"device_id", "device_model"})
#: Declared unit and plausible range per numeric field; a declaration that changes a
#: unit must change the range here too (``Rules`` refuses to build otherwise).
RANGES: dict[str, tuple[str | None, float, float]] = {
    "voltage": ("V", 0.0, 1000.0),
    "current": ("A", 0.0, 1000.0),
    "power": ("W", -250_000.0, 250_000.0),
    "energy": ("kWh", 0.0, 1e9),
    "power_factor": (None, -1.0, 1.0),
    "frequency": ("Hz", 40.0, 70.0),
    "temperature": ("°C", -50.0, 150.0),
    "signal_strength": ("dBm", -150.0, 0.0),
}
FUTURE_SKEW = timedelta(minutes=10)
MAX_TEXT_TIME = 40
TIME_COLUMN = COLUMNS.index("recorded_at")
WIDTH = len(COLUMNS)

Check = Callable[[object], object]
#: One reading as stored, in ``COLUMNS`` order (a list: the SQLite writer converts times in place).
Row = list[object]


class ReadingError(Exception):
    """One reading refused: the field at fault (if one) and why."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class RulesError(ValueError):
    """The declaration names a telemetry field this code cannot store or check."""


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    field: str | None
    reason: str


def moment(name: str, raw: object) -> datetime:
    if type(raw) is datetime:  # a native CBOR or MessagePack timestamp
        if raw.tzinfo is None:
            raise ReadingError(name, f"{name} must carry a time zone")
        return raw.astimezone(UTC)
    if type(raw) is not str or len(raw) > MAX_TEXT_TIME:
        raise ReadingError(name, f"{name} must be an ISO 8601 date and time")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ReadingError(name, f"{name} must be an ISO 8601 date and time") from None
    if value.tzinfo is None:
        raise ReadingError(name, f"{name} must carry a time zone (e.g. 2026-01-31T09:00:00Z)")
    return value.astimezone(UTC)


def _range(decl: FieldDecl) -> tuple[float, float]:
    unit, low, high = RANGES.get(decl.name, (decl.unit, -math.inf, math.inf))
    if unit != decl.unit:
        raise RulesError(f"{decl.name}: declared unit {decl.unit!r}, checks know {unit!r}")
    return low, high


def _integer(decl: FieldDecl) -> Check:
    name, unit = decl.name, decl.unit
    low, high = _range(decl)

    def check(raw: object) -> object:
        if type(raw) is not int:
            raise ReadingError(name, f"{name} must be a whole number")
        if not low <= raw <= high:
            raise _number_error(name, raw, low, high, unit)
        return raw

    return check


def _number_error(
    name: str, raw: object, low: float, high: float, unit: str | None
) -> ReadingError:
    if type(raw) is not float and type(raw) is not int:
        return ReadingError(name, f"{name} must be a number")
    shown = f" {unit}" if unit else ""
    return ReadingError(name, f"{name} {raw}{shown} is outside {low:g}..{high:g}{shown}")


def _text(decl: FieldDecl) -> Check:
    name, limit, choices = decl.name, decl.max_length or 200, frozenset(decl.choices or ())

    def check(raw: object) -> object:
        if type(raw) is not str:
            raise ReadingError(name, f"{name} must be a string")
        if choices:
            if raw not in choices:
                raise ReadingError(name, f"{name} must be one of {', '.join(sorted(choices))}")
            return raw
        value = raw.strip()
        if not value or len(value) > limit or not value.isprintable():
            raise ReadingError(name, f"{name} must be 1 to {limit} printable characters")
        return value

    return check


def _boolean(decl: FieldDecl) -> Check:
    name = decl.name

    def check(raw: object) -> object:
        if type(raw) is not bool:
            raise ReadingError(name, f"{name} must be true or false")
        return raw

    return check


def _checker(decl: FieldDecl) -> Check:
    if decl.type == "integer":
        return _integer(decl)
    if decl.type == "boolean":
        return _boolean(decl)
    if decl.type == "datetime":
        name = decl.name
        return lambda raw: moment(name, raw)
    if decl.type in ("string", "identifier", "text", "enum"):
        return _text(decl)
    raise RulesError(f"{decl.name}: telemetry cannot store a field of type {decl.type}")


#: (column, check, low, high); a plain number has no check and is tested inline.
Spec = tuple[int, Check | None, float, float]


def _spec(decl: FieldDecl, column: int) -> Spec:
    if decl.type == "number":
        return (column, None, *_range(decl))
    return (column, _checker(decl), 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class KindRules:
    kind: ReadingKind
    category: str
    time_field: str
    retention: timedelta | None
    fields: dict[str, Spec]
    units: dict[str, str | None]
    required: tuple[tuple[str, int], ...]
    linked: bool


def _kind_rules(declaration: Declaration, kind: ReadingKind) -> KindRules:
    category = declaration.category(CATEGORY[kind])
    time_field = TIME_FIELD[kind]
    fields: dict[str, Spec] = {}
    for decl in category.fields:
        if decl.name in FROM_ELSEWHERE:
            continue
        column = "recorded_at" if decl.name == time_field else decl.name
        if column not in COLUMNS[1:]:
            raise RulesError(f"{category.key}.{decl.name} is declared but has no column")
        fields[decl.name] = _spec(decl, COLUMNS.index(column))
    if time_field not in fields:
        raise RulesError(f"{category.key} does not declare its time field {time_field}")
    days = category.retention.max_days()
    return KindRules(
        kind=kind,
        category=category.key,
        time_field=time_field,
        retention=None if days is None else timedelta(days=days),
        fields=fields,
        units={d.name: d.unit for d in category.fields if d.type in ("number", "integer")},
        required=tuple(
            (d.name, fields[d.name][0]) for d in category.fields if d.required and d.name in fields
        ),
        linked=category.linked_to_identity,
    )


class Rules:
    """The checks of every reading kind under one declaration."""

    def __init__(self, declaration: Declaration) -> None:
        self.declaration = declaration
        self.kinds = {kind.value: _kind_rules(declaration, kind) for kind in ReadingKind}

    def linked_kinds(self) -> list[str]:
        return sorted(k for k, rules in self.kinds.items() if rules.linked)

    def retention(self, kind: str) -> timedelta | None:
        return self.kinds[kind].retention

    def check(
        self, device_key: bytes, readings: Sequence[object], now: datetime
    ) -> tuple[list[Row], list[Rejection], int]:
        """Rows to store, refusals by index, duplicates within the batch. Times are UTC."""
        rows: list[Row] = []
        rejected: list[Rejection] = []
        seen: set[tuple[object, str]] = set()
        latest = now + FUTURE_SKEW
        earliest = {k: now - r.retention if r.retention else None for k, r in self.kinds.items()}
        for index, raw in enumerate(readings):
            try:
                row, kind = self._row(raw, device_key)
                recorded = row[TIME_COLUMN]
                oldest = earliest[kind]
                if recorded > latest:  # type: ignore[operator]  # a datetime (required)
                    raise ReadingError(self.kinds[kind].time_field, "is in the future")
                if oldest is not None and recorded < oldest:  # type: ignore[operator]
                    raise ReadingError(
                        self.kinds[kind].time_field, "is older than the declared retention"
                    )
                cleared = row[-1]
                if cleared is not None and not recorded <= cleared <= latest:  # type: ignore[operator]
                    raise ReadingError(
                        "cleared_at", "cleared_at must lie between the alarm and now"
                    )
            except ReadingError as bad:
                reason = bad.reason
                if bad.field and not reason.startswith(bad.field):
                    reason = f"{bad.field} {reason}"
                rejected.append(Rejection(index, bad.field, reason))
                continue
            key = (recorded, kind)
            if key not in seen:
                seen.add(key)
                rows.append(row)
        return rows, rejected, len(readings) - len(rejected) - len(rows)

    def _row(self, raw: object, device_key: bytes) -> tuple[list[object], str]:
        """One reading's row. Plain numbers are checked inline: this is the hot loop."""
        if type(raw) is not dict:
            raise ReadingError(None, "a reading must be a JSON object")
        kind = raw.get("kind")
        rules = self.kinds.get(kind) if type(kind) is str else None
        if rules is None:
            raise ReadingError("kind", f"kind must be one of {', '.join(self.kinds)}")
        row: list[object] = [None] * WIDTH
        row[0] = device_key
        row[2] = kind
        fields, values = rules.fields, 0
        for name, value in raw.items():
            spec = fields.get(name)
            if spec is None:
                if name == "kind":
                    continue
                if name == "units":
                    self._units(rules, value)
                    continue
                raise ReadingError(name, f"{name} is not a declared field of {rules.category}")
            if value is None:
                continue
            column, check, low, high = spec
            if check is None:  # a plain number with a range
                kind_of = type(value)
                if (kind_of is not float and kind_of is not int) or not low <= value <= high:
                    raise _number_error(name, value, low, high, rules.units.get(name))
                row[column] = value
            else:
                row[column] = check(value)
            values += 1
        for name, column in rules.required:
            if row[column] is None:
                raise ReadingError(name, f"{name} is required")
        if values < 2:
            raise ReadingError(None, f"a {kind} reading needs at least one value besides its time")
        return row, kind  # type: ignore[return-value]  # a str: checked above

    @staticmethod
    def _units(rules: KindRules, given: object) -> None:
        if type(given) is not dict:
            raise ReadingError("units", "units must map field names to unit symbols")
        for name, unit in given.items():
            if name not in rules.units:
                raise ReadingError(
                    "units", f"units names {name!r}, which has no unit in {rules.category}"
                )
            if unit != rules.units[name]:
                raise ReadingError(
                    name, f"{name} unit {unit!r} given; the declaration says {rules.units[name]!r}"
                )


_cached: tuple[Declaration, Rules] | None = None


def rules_for(declaration: Declaration) -> Rules:
    """The compiled rules of a declaration (rebuilt when the declaration in force changes)."""
    global _cached
    if _cached is None or _cached[0] is not declaration:
        _cached = (declaration, Rules(declaration))
    return _cached[1]
