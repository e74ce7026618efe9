"""Geometry of the device page's chart, drawn as inline SVG by the template (no script).

The page's content security policy forbids inline scripts and styles, so the
chart is plain SVG elements styled by classes in ``app.css``, with ``<title>``
children for hover text. Readings are averaged into at most ``MAX_POINTS``
time buckets, and the line breaks where the device sent nothing for longer
than ``GAP`` buckets, so an outage shows as a gap rather than a slope.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from privacyops.telemetry.feeds import Alarm, Point

WIDTH = 960
PANEL_HEIGHT = 170
LEFT, RIGHT, TOP, GAP_Y, BOTTOM = 64, 16, 26, 44, 34
MAX_POINTS = 480
GAP = 3


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class Panel:
    label: str
    unit: str
    css: str
    top: float
    path: str
    y_ticks: list[Tick]
    low: float | None
    high: float | None
    last: float | None


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    title: str
    critical: bool


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    plot_width: int
    panel_height: int
    panels: list[Panel]
    x_ticks: list[Tick]
    alarms: list[Marker]
    points: int


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _bucketed(values: Sequence[tuple[float, float]], buckets: int) -> list[tuple[float, float]]:
    """(x in 0..1, value) averaged into ``buckets`` equal slices of x."""
    sums: dict[int, tuple[float, float, int]] = {}
    for x, value in values:
        slot = min(int(x * buckets), buckets - 1)
        total, xs, count = sums.get(slot, (0.0, 0.0, 0))
        sums[slot] = (total + value, xs + x, count + 1)
    return [(xs / n, total / n) for _slot, (total, xs, n) in sorted(sums.items())]


def _panel(
    label: str, unit: str, css: str, top: float, values: list[tuple[float, float]], width: int
) -> Panel:
    if not values:
        return Panel(label, unit, css, top, "", [], None, None, None)
    points = _bucketed(values, MAX_POINTS)
    low, high = min(v for _x, v in points), max(v for _x, v in points)
    pad = (high - low) * 0.1 or max(abs(high) * 0.05, 1.0)
    step = _nice_step(high - low + 2 * pad)
    floor, ceiling = math.floor((low - pad) / step) * step, math.ceil((high + pad) / step) * step
    if low >= 0 > floor:
        floor = 0.0  # no negative axis for quantities that never go below zero here

    def y(value: float) -> float:
        return top + PANEL_HEIGHT * (1 - (value - floor) / (ceiling - floor))

    parts, previous = [], None
    for x, value in points:
        jump = previous is None or (x - previous) * MAX_POINTS > GAP
        parts.append(f"{'M' if jump else 'L'}{LEFT + x * width:.1f},{y(value):.1f}")
        previous = x
    ticks, mark = [], floor
    while mark <= ceiling + step / 2:
        ticks.append(Tick(y(mark), f"{mark:,.0f}" if step >= 1 else f"{mark:.1f}"))
        mark += step
    return Panel(label, unit, css, top, " ".join(parts), ticks, low, high, values[-1][1])


def _x_ticks(start: datetime, end: datetime, width: int) -> list[Tick]:
    span = (end - start).total_seconds()
    step = timedelta(hours=6) if span <= 2 * 86400 else timedelta(days=1)
    every = max(1, round(span / step.total_seconds() / 10))
    moment = start.replace(minute=0, second=0, microsecond=0)
    if step == timedelta(days=1):
        moment = moment.replace(hour=0)
    ticks, n = [], 0
    while moment <= end:
        if moment >= start and n % every == 0:
            x = LEFT + (moment - start).total_seconds() / span * width
            label = moment.strftime("%m-%d %H:%M" if step < timedelta(days=1) else "%m-%d")
            ticks.append(Tick(x, label))
        moment += step
        n += 1
    return ticks


def build(
    points: Sequence[Point], alarms: Sequence[Alarm], start: datetime, end: datetime
) -> Chart:
    """Voltage above power over [start, end), alarms as markers on both panels."""
    width = WIDTH - LEFT - RIGHT
    span = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        return (moment - start).total_seconds() / span

    voltage = [(x(p.at), p.voltage) for p in points if p.voltage is not None]
    power = [(x(p.at), p.power) for p in points if p.power is not None]
    panels = [
        _panel("Voltage", "V", "voltage", TOP, voltage, width),
        _panel("Power", "W", "power", TOP + PANEL_HEIGHT + GAP_Y, power, width),
    ]
    markers = [
        Marker(
            LEFT + x(alarm.occurred_at) * width,
            f"{alarm.occurred_at:%Y-%m-%d %H:%M} UTC · {alarm.alarm_type or 'alarm'}"
            f" ({alarm.severity or 'unknown'}) {alarm.alarm_code or ''}".strip(),
            alarm.severity == "critical",
        )
        for alarm in alarms
        if start <= alarm.occurred_at < end
    ]
    return Chart(
        width=WIDTH,
        height=TOP + 2 * PANEL_HEIGHT + GAP_Y + BOTTOM,
        left=LEFT,
        plot_width=width,
        panel_height=PANEL_HEIGHT,
        panels=panels,
        x_ticks=_x_ticks(start, end, width),
        alarms=markers,
        points=len(points),
    )
