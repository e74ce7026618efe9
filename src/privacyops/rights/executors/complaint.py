"""Complaint: routed to the privacy officer, with the authority the person may turn to.

The regime of the request (decided at intake from the person's country)
names the supervisory authority and how to complain to it
(``jurisdictions.service``); the declaration names our own channels that
handle complaints. Both go in the outcome, so the reply can state them.
"""

from __future__ import annotations

from typing import Any

from privacyops.db import utcnow
from privacyops.jurisdictions import service as jurisdictions
from privacyops.rights.executors.engine import StepContext, StepSpec
from privacyops.rights.models import RequestNote

ROUTED_TO = "privacy_officer"


def route(ctx: StepContext) -> dict[str, Any]:
    request = ctx.request
    try:
        regime = jurisdictions.get_regime(request.regime)
    except jurisdictions.UnknownRegimeError:
        regime = jurisdictions.regime_for(country=request.country, state=request.region_code)
    regulator = regime.regulator
    channels = [
        {"kind": ch.kind, "value": ch.value, "label_en": ch.label.en, "label_zh": ch.label.zh_cn}
        for ch in ctx.declaration.contact.channels
        if "complaints" in ch.handles
    ]
    ctx.session.add(
        RequestNote(
            request_id=request.id,
            at=utcnow(),
            author=ctx.actor,
            kind="routing",
            text=(
                f"Complaint routed to the privacy officer. Authority for regime {regime.code}: "
                f"{regulator.name}."
            ),
        )
    )
    ctx.session.flush()
    return {
        "routed_to": ROUTED_TO,
        "regime": regime.code,
        "authority": {
            "name": regulator.name,
            "website": str(regulator.website) if regulator.website else None,
            "complaints": regulator.complaints,
        },
        "our_channels": channels,
        "statement_en": ctx.declaration.contact.complaint.en,
        "statement_zh": ctx.declaration.contact.complaint.zh_cn,
    }


def outcome(ctx: StepContext) -> dict[str, Any]:
    return {
        "summary": "complaint routed to the privacy officer",
        **ctx.results["route"],
        "kept": [],
    }


STEPS = (StepSpec("route", route),)
