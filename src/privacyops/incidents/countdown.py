"""What the console says about a breach clock, in the console's language: the countdown
of a running clock, when a met one was met, why one does not run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from privacyops.incidents.clocks import ClockState
from privacyops.web import i18n
from privacyops.web.i18n import N_

#: The reasons ``clocks`` gives for a clock that does not run; shown translated, and as
#: given should one of them change there.
NOT_REQUIRED = (
    N_("risk assessed as unlikely: documented, no notice (e.g. GDPR Art. 33(1))"),
    N_("the rule asks for a high risk; this incident is not assessed as high risk"),
    N_("data encrypted at rest, so unintelligible to others (GDPR Art. 34(3)(a) and alike)"),
    N_("data crypto-shredded, so unintelligible to others (GDPR Art. 34(3)(a) and alike)"),
)


def remaining(due_at: datetime | None, now: datetime, lang: str) -> str:
    """'2 d 03 h 12 min left' or '5 h 02 min overdue', as ``clocks.remaining`` in English."""
    words = i18n.translations(lang)
    if due_at is None:
        return words.gettext("no fixed time")
    seconds = int((due_at - now).total_seconds())
    late, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    span = words.gettext("%(hours)02d h %(minutes)02d min") % {
        "hours": hours,
        "minutes": rest // 60,
    }
    if days:
        span = words.gettext("%(days)s d %(span)s") % {"days": days, "span": span}
    said = words.gettext("%(span)s overdue") if late else words.gettext("%(span)s left")
    return said % {"span": span}


def explainer(lang: str, now: datetime) -> Callable[[ClockState], str]:
    """The text of a clock's state at ``now``, for the templates."""
    words = i18n.translations(lang)

    def why(state: ClockState) -> str:
        if state.status in ("open", "overdue"):
            return remaining(state.due_at, now, lang)
        if state.status == "met" and state.met_at is not None:
            when = i18n.format_datetime(state.met_at, lang)
            return words.gettext("notice recorded %(when)s") % {"when": when}
        return words.gettext(state.why)

    return why
