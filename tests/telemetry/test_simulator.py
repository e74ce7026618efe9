"""Simulated devices send readings the checks accept, with plausible values and some alarms."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

from privacyops.policy.schema import Declaration
from privacyops.telemetry import simulator
from privacyops.telemetry.checks import rules_for

END = datetime(2026, 11, 24, tzinfo=UTC)


def test_a_month_of_simulated_readings_passes_the_checks(declaration: Declaration) -> None:
    kinds: Counter[str] = Counter()
    volts: list[float] = []
    for device in simulator.fleet(8):
        readings = list(simulator.readings(device, start=END - timedelta(days=30), end=END))
        _rows, rejected, duplicates = rules_for(declaration).check(b"k" * 16, readings, END)
        assert (rejected, duplicates) == ([], 0), rejected[:3]
        kinds.update(str(r["kind"]) for r in readings)
        if device.nominal_v == 230.0:
            volts.extend(float(r["voltage"]) for r in readings if r["kind"] == "electrical")  # type: ignore[arg-type]
    assert kinds["electrical"] == 8 * 30 * 96
    assert kinds["status"] == 8 * 30 * 24
    assert 10 <= kinds["alarm"] <= 400
    assert 226 < statistics.mean(volts) < 231
    assert statistics.pstdev(volts) < 6


def test_the_stream_is_reproducible() -> None:
    device = simulator.fleet(1)[0]
    first = list(simulator.readings(device, start=END - timedelta(days=1), end=END))
    again = list(simulator.readings(device, start=END - timedelta(days=1), end=END))
    assert first == again


def test_a_home_peaks_in_the_evening() -> None:
    home = next(d for d in simulator.fleet(4) if d.profile == "home")
    by_hour: dict[int, list[float]] = {}
    for reading in simulator.readings(home, start=END - timedelta(days=28), end=END):
        if reading["kind"] == "electrical":
            at = datetime.fromisoformat(str(reading["recorded_at"])) + timedelta(
                hours=home.utc_offset
            )
            by_hour.setdefault(at.hour, []).append(float(reading["power"]))  # type: ignore[arg-type]
    mean = {hour: statistics.mean(values) for hour, values in by_hour.items()}
    assert mean[19] > 3 * mean[3]
    assert mean[7] > mean[3]
