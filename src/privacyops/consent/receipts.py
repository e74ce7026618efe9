"""Consent receipts: what a person can download as proof of one choice.

The shape follows the Kantara Consent Receipt v1.1 (`version`, `jurisdiction`,
`consentTimestamp`, `collectionMethod`, `consentReceiptID`, `piiPrincipalId`,
`piiControllers`, `policyUrl`, `services[].purposes[]`, `sensitive`, `spiCat`),
with the additions ISO/IEC TS 27560:2023 makes mandatory for a record: the
notice (version, language, hash), the event time, type and state of each
purpose (DPV ConsentStatus terms), and how to withdraw. The receipt names the
person only by pseudonym: a subject id or the blind index of a cookie id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from privacyops.consent.catalogue import SALE_SHARING, catalogue
from privacyops.consent.models import ConsentEvent, ConsentState, Method
from privacyops.consent.service import Who
from privacyops.policy.base import Lang
from privacyops.policy.schema import Declaration

KANTARA_VERSION = "KI-CR-v1.1.0"
ISO_SCHEMA = "ISO/IEC TS 27560:2023"

DPV_STATE = {
    ConsentState.GRANTED: "dpv:ConsentGiven",
    ConsentState.DENIED: "dpv:ConsentRefused",
    ConsentState.WITHDRAWN: "dpv:ConsentWithdrawn",
}
#: ISO 27560 event type: how the decision was expressed.
EVENT_TYPE = {
    Method.BANNER: "dpv:ExpressedConsent",
    Method.PREFERENCES: "dpv:ExpressedConsent",
    Method.FORM: "dpv:ExpressedConsent",
    Method.API: "dpv:ExpressedConsent",
    Method.GPC: "signal:GlobalPrivacyControl",
    Method.JURISDICTION_DEFAULT: "dpv:ImpliedConsent",
}


def _controller(declaration: Declaration, lang: Lang) -> dict[str, Any]:
    controller = declaration.controller
    rights = [c for c in declaration.contact.channels if "data_rights" in c.handles]
    email = next((c.value for c in rights if c.kind == "email"), controller.emails[0])
    return {
        "piiController": controller.name,
        "onBehalf": False,
        "contact": email,
        "address": controller.address.get(lang),
        "email": email,
        "piiControllerUrl": controller.website,
    }


def _purpose(declaration: Declaration, event: ConsentEvent, lang: Lang) -> dict[str, Any]:
    cat = catalogue(declaration)
    info = cat.purposes.get(event.purpose)
    declared = next((p for p in declaration.purposes if p.key == event.purpose), None)
    label = declared.label.get(lang) if declared else event.purpose
    state = ConsentState(event.state)
    method = Method(event.method)
    return {
        "purpose": event.purpose,
        "purposeLabel": label,
        "purposeCategory": [info.fides_use] if info else [],
        "consentType": "OPT-OUT" if event.purpose == SALE_SHARING else "EXPLICIT",
        "state": state.value,
        "eventState": DPV_STATE[state],
        "eventType": EVENT_TYPE[method],
        "collectionMethod": method.value,
        "primaryPurpose": False,
        "termination": "until withdrawn, or until a major policy change asks again",
        "thirdPartyDisclosure": False,
        "lawfulBasis": (
            declared.lawful_basis.gdpr if declared and declared.lawful_basis else "consent"
        ),
    }


def build(
    *,
    declaration: Declaration,
    events: Sequence[ConsentEvent],
    who: Who,
    public_url: str,
    service_name: str,
) -> dict[str, Any]:
    """The receipt of one choice; ``events`` all share one receipt id."""
    if not events:
        raise ValueError("a receipt needs at least one event")
    first = min(events, key=lambda e: e.id)
    lang: Lang = "zh-CN" if first.lang == "zh-CN" else "en"
    at = first.occurred_at
    return {
        "version": KANTARA_VERSION,
        "schemaVersion": ISO_SCHEMA,
        "consentReceiptID": first.receipt_id,
        "recordId": first.receipt_id,
        "jurisdiction": first.regime,
        "consentTimestamp": int(at.timestamp()),
        "eventTime": at.isoformat().replace("+00:00", "Z"),
        "collectionMethod": first.method,
        "language": lang,
        "piiPrincipalId": who.pseudonym,
        "piiControllers": [_controller(declaration, lang)],
        "policyUrl": f"{public_url}/policy/versions/{first.policy_version}",
        "policyVersion": first.policy_version,
        "notice": {
            "version": first.notice_version,
            "language": first.lang,
            "sha256": first.notice_hash,
        },
        "services": [
            {
                "service": service_name,
                "purposes": [
                    _purpose(declaration, e, lang) for e in sorted(events, key=lambda e: e.id)
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        "withdrawalMethod": f"{public_url}/cookies",
        "collectionContext": {
            "ipNetwork": first.ip_prefix,
            "userAgentFamily": first.ua_family,
        },
    }
