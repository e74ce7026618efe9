"""The breach clocks' countdown as the console shows it: English as the clocks say it,
Chinese through the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privacyops.incidents import clocks, countdown
from privacyops.web import i18n

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "due",
    [NOW + timedelta(days=2, hours=3, minutes=12), NOW - timedelta(hours=5, minutes=2), None],
)
def test_the_english_countdown_is_the_clocks_own(due: datetime | None) -> None:
    assert countdown.remaining(due, NOW, "en") == clocks.remaining(due, NOW)


def test_the_chinese_countdown() -> None:
    left = countdown.remaining(NOW + timedelta(days=2, hours=3, minutes=12), NOW, "zh-CN")
    assert left == "剩余 2 天 03 小时 12 分"
    late = countdown.remaining(NOW - timedelta(hours=5, minutes=2), NOW, "zh-CN")
    assert late == "已逾期 05 小时 02 分"
    assert countdown.remaining(None, NOW, "zh-CN") == "无固定时限"


def test_every_reason_a_clock_does_not_run_has_a_chinese_text() -> None:
    chinese = i18n.translations("zh-CN")
    for reason in countdown.NOT_REQUIRED:
        assert chinese.gettext(reason) != reason
