"""The rulebook's summary lines are words for a reader: English for the API, the console's
language on its pages; the rule values behind them do not change."""

from __future__ import annotations

from privacyops.jurisdictions.service import regime_summaries


def test_the_summaries_are_english_by_default() -> None:
    china = {s.code: s for s in regime_summaries()}["CN"]
    assert china.request_deadline.period == "15 business days"
    assert china.regulator_clock.startswith("4 hours (not major, our default)")
    assert {s.code: s for s in regime_summaries()}["EU"].request_deadline.period == "1 month"


def test_the_summaries_speak_chinese_when_asked() -> None:
    chinese = {s.code: s for s in regime_summaries("zh-CN")}
    assert chinese["CN"].request_deadline.period == "15个工作日"
    assert chinese["CN"].regulator_clock.startswith("4小时（非重大，我方默认）")
    assert chinese["EU"].request_deadline.period == "1个月"
    assert chinese["EU"].individuals_clock == "无固定时限"
    english = {s.code: s for s in regime_summaries()}
    assert chinese["CN"].request_deadline.target_days == english["CN"].request_deadline.target_days
