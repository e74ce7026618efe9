"""The retention domain's public functions; importing it registers the legal-hold provider.

Erasures ask ``rights.executors.extensions.legal_holds`` what must survive
them; that hook imports this module, so every active hold here is seen by
every erasure, whichever module happened to be imported first.
"""

from __future__ import annotations

from privacyops.retention.holds import (
    RetentionError,
    active_holds,
    create_hold,
    get_hold,
    hold_state,
    holds_for_subject,
    lift_hold,
    list_holds,
)
from privacyops.retention.planning import (
    Action,
    Line,
    Upcoming,
    expiry_actions,
    preview,
    rule_text,
    upcoming,
)
from privacyops.retention.reporting import close_interrupted, get_report, reports
from privacyops.retention.sweep import DEFAULT_BATCH, sweep
from privacyops.rights.executors import extensions

extensions.register_hold_provider(holds_for_subject)

__all__ = [
    "DEFAULT_BATCH",
    "Action",
    "Line",
    "RetentionError",
    "Upcoming",
    "active_holds",
    "close_interrupted",
    "create_hold",
    "expiry_actions",
    "get_hold",
    "get_report",
    "hold_state",
    "holds_for_subject",
    "lift_hold",
    "list_holds",
    "preview",
    "reports",
    "rule_text",
    "sweep",
    "upcoming",
]
