"""Decisions per day as a stacked bar chart in inline SVG, drawn on the server.

The console's CSP allows no scripts from elsewhere and no inline ones, so the
chart is plain markup: one `<rect>` per day and state, each with a `<title>`
(a tooltip, and what a screen reader reads), coloured by classes from app.css.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from markupsafe import Markup, escape

WIDTH = 920
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 28
ORDER = ("granted", "denied", "withdrawn")


def _nice_ceiling(value: int) -> int:
    """The next 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def stacked_days(days: list[tuple[date, Counter[str]]], *, title: str) -> Markup:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_ceiling(max((sum(c.values()) for _, c in days), default=0))
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.8, 1.0)
    parts = [
        f'<svg class="chart consent-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{int(top * fraction)}</text>"
        )
    label_every = max(len(days) // 6, 1)
    for index, (day, counts) in enumerate(days):
        x = LEFT + index * slot + (slot - bar) / 2
        base = float(TOP + plot_h)
        for state in ORDER:
            value = counts.get(state, 0)
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            parts.append(
                f'<rect class="{state}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}"><title>{day.isoformat()}: {value} {state}</title></rect>'
            )
        if index % label_every == 0:
            parts.append(
                f'<text class="axis" x="{x + bar / 2:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{day.strftime("%m-%d")}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built from numbers, dates and escaped text
