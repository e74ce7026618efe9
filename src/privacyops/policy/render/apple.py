"""Apple App Store "App Privacy" answers, from the categories the apps collect.

For every Apple data type: which purposes it serves, whether it is linked
to the user's identity and whether it is used to track. Several of our
categories can report the same Apple type (account and contact data both
hold an e-mail address); their answers are merged, and a type counts as
linked or tracking if any contributing category is.
"""

from __future__ import annotations

from typing import Any

from privacyops.policy import stores
from privacyops.policy.base import Lang
from privacyops.policy.render import wording
from privacyops.policy.render.blocks import bullets, table
from privacyops.policy.schema import Declaration
from privacyops.web.i18n import N_, NP_

LINKED = "DATA_LINKED_TO_YOU"
NOT_LINKED = "DATA_NOT_LINKED_TO_YOU"
TRACKING = "DATA_USED_TO_TRACK_YOU"
NOT_COLLECTED = "DATA_NOT_COLLECTED"


def apple_answers(decl: Declaration) -> dict[str, Any]:
    """The App Privacy questionnaire answers, with the manifest keys beside the ids."""
    types = stores.apple_types()
    purposes = stores.apple_purposes()
    merged: dict[str, dict[str, Any]] = {}
    for cat in decl.app_categories():
        cat_purposes = {decl.purpose(p).store_purpose.apple for p in cat.purposes}
        for asc_id in cat.store_types.apple:
            entry = merged.setdefault(
                asc_id,
                {"purposes": set(), "linked": False, "tracking": False, "categories": []},
            )
            entry["purposes"] |= cat_purposes
            entry["linked"] = entry["linked"] or cat.linked_to_identity
            entry["tracking"] = entry["tracking"] or cat.tracking
            entry["categories"].append(cat.key)
    data_types = []
    for asc_id, kind in types.items():
        if asc_id not in merged:
            continue
        entry = merged[asc_id]
        chosen = [p for p in purposes if p in entry["purposes"]]
        data_types.append(
            {
                "asc_id": asc_id,
                "type": kind.name,
                "apple_category": kind.group,
                "manifest_key": kind.manifest_key,
                "purposes": chosen,
                "purpose_manifest_keys": [purposes[p].manifest_key for p in chosen],
                "linked_to_identity": entry["linked"],
                "used_for_tracking": entry["tracking"],
                "from_categories": entry["categories"],
            }
        )
    return {
        "collects_data": bool(data_types),
        "tracking": any(t["used_for_tracking"] for t in data_types),
        "privacy_policy_url": decl.controller.website + decl.policy.public_path,
        "data_types": data_types,
        "app_privacy_details": app_privacy_details(decl, data_types),
    }


def app_privacy_details(
    decl: Declaration, data_types: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The list fastlane's ``upload_app_privacy_details_to_app_store`` takes."""
    found = apple_answers(decl)["data_types"] if data_types is None else data_types
    if not found:
        return [{"data_protections": [NOT_COLLECTED]}]
    details = []
    for item in found:
        protections = [LINKED if item["linked_to_identity"] else NOT_LINKED]
        if item["used_for_tracking"]:
            protections.append(TRACKING)
        details.append(
            {
                "category": item["asc_id"],
                "purposes": item["purposes"],
                "data_protections": protections,
            }
        )
    return details


_GROUPS: dict[str, str] = {
    "tracking": N_("Data Used to Track You"),
    "linked": N_("Data Linked to You"),
    "not_linked": N_("Data Not Linked to You"),
}
_HEAD: dict[str, wording.Message] = {
    "type": N_("Data type"),
    "group": N_("Apple category"),
    "purposes": NP_("App Store label", "Purposes"),
    "linked": N_("Linked to you"),
    "tracking": N_("Used to track you"),
}


def apple_html(decl: Declaration, lang: Lang = "en") -> str:
    answers = apple_answers(decl)
    purposes = stores.apple_purposes()
    rows = [
        [
            item["type"],
            item["apple_category"],
            wording.series((purposes[p].name for p in item["purposes"]), lang),
            wording.yes_no(item["linked_to_identity"], lang),
            wording.yes_no(item["used_for_tracking"], lang),
        ]
        for item in answers["data_types"]
    ]
    summary = []
    for group, test in (
        ("tracking", lambda t: t["used_for_tracking"]),
        ("linked", lambda t: t["linked_to_identity"]),
        ("not_linked", lambda t: not t["linked_to_identity"]),
    ):
        names = [t["type"] for t in answers["data_types"] if test(t)]
        if names:
            heading = wording.pick(_GROUPS[group], lang)
            summary.append(f"{heading}{wording.label('colon', lang)}{wording.series(names, lang)}")
    head = [
        wording.pick(_HEAD[k], lang) for k in ("type", "group", "purposes", "linked", "tracking")
    ]
    blocks = [bullets(summary), table(head, rows, css="apple-privacy")]
    title = decl.section_title(decl.app_stores.apple.section, lang)
    return wording.render(
        "fragment.html", css="apple-privacy", lang=lang, title=title, blocks=blocks
    )
