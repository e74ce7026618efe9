"""Google Play "Data safety" answers and the Play Console import CSV.

The CSV is the project's copy of the blank Console export with only the
"Response value" column filled, so header, row keys, order and labels stay
exactly as the Console expects. A row the renderer does not recognise makes
it fail loudly: Google adds questions from time to time, and a silently
blank answer would be a false declaration.

Semantics (Play Console help): *collected* means sent off the device;
*shared* means transferred to a third party, which excludes service
providers acting for us and disclosures required by law, so only recipients
in the ``controller`` role count. A type is *required* when any purpose it
serves is essential, otherwise the user can choose.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from privacyops.policy import stores
from privacyops.policy.base import Lang
from privacyops.policy.render import wording
from privacyops.policy.render.blocks import Block, table, terms
from privacyops.policy.schema import Declaration
from privacyops.web.i18n import N_

TRUE = "true"
FALSE = "false"


@dataclass
class PlayType:
    response_id: str
    label: str
    collected: bool = False
    shared: bool = False
    ephemeral: bool = True
    required: bool = False
    collection_purposes: set[str] = field(default_factory=set)
    sharing_purposes: set[str] = field(default_factory=set)
    categories: list[str] = field(default_factory=list)


def play_types(decl: Declaration) -> dict[str, PlayType]:
    """The Play data types our apps collect, merged across categories, in template order."""
    labels = stores.play_types()
    merged: dict[str, PlayType] = {}
    for cat in decl.app_categories():
        purposes = [decl.purpose(p) for p in cat.purposes]
        collect = {p.store_purpose.google_play for p in purposes}
        share: set[str] = set()
        for key in cat.recipients:
            recipient = decl.recipient(key)
            if recipient.role == "controller":
                used = [decl.purpose(p) for p in recipient.purposes if p in cat.purposes]
                share |= {p.store_purpose.google_play for p in used}
        for response_id in cat.store_types.google_play:
            item = merged.setdefault(response_id, PlayType(response_id, labels[response_id]))
            item.collected = True
            item.shared = item.shared or bool(share)
            item.ephemeral = item.ephemeral and cat.ephemeral
            item.required = item.required or any(p.essential for p in purposes)
            item.collection_purposes |= collect
            item.sharing_purposes |= share
            item.categories.append(cat.key)
    return {key: merged[key] for key in labels if key in merged}


def datasafety_answers(decl: Declaration) -> dict[str, Any]:
    """The answers as plain data (what the CSV encodes), for review and tests."""
    play = decl.app_stores.google_play
    found = play_types(decl)
    return {
        "collects_data": bool(found),
        "encrypted_in_transit": play.encrypted_in_transit,
        "account_creation_methods": list(play.account_creation_methods),
        "account_deletion_url": decl.controller.website + play.account_deletion_path,
        "data_deletion_url": _url(decl, play.data_deletion_path),
        "deletion_request_supported": any(r.key == "deletion" for r in decl.rights.items),
        "designed_for_families": play.designed_for_families,
        "independent_security_review": play.independent_security_review,
        "data_types": [
            {
                "response_id": t.response_id,
                "label": t.label,
                "collected": t.collected,
                "shared": t.shared,
                "ephemeral": t.ephemeral,
                "required": t.required,
                "collection_purposes": _ordered(t.collection_purposes),
                "sharing_purposes": _ordered(t.sharing_purposes),
                "from_categories": t.categories,
            }
            for t in found.values()
        ],
    }


def datasafety_rows(decl: Declaration) -> list[list[str]]:
    """Header plus every template row, with the response value filled in."""
    fill = _Filler(decl)
    rows = [list(stores.template_header())]
    for row in stores.template_rows():
        value = fill.value(row.question, row.response)
        rows.append([row.question, row.response, value, row.requirement, row.label])
    return rows


def datasafety_csv(decl: Declaration) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(datasafety_rows(decl))
    return out.getvalue()


def _url(decl: Declaration, path: str | None) -> str:
    return "" if path is None else decl.controller.website + path


def _ordered(purposes: set[str]) -> list[str]:
    return [p for p in stores.play_purposes() if p in purposes]


def _flag(value: bool) -> str:
    return TRUE if value else FALSE


def _tick(value: bool) -> str:
    return TRUE if value else ""


class _Filler:
    def __init__(self, decl: Declaration) -> None:
        self.decl = decl
        self.play = decl.app_stores.google_play
        self.types = play_types(decl)
        self.collects = bool(self.types)

    def value(self, question: str, response: str) -> str:
        if question.startswith(stores.PLAY_USAGE_PREFIX):
            return self._usage(question, response)
        if question.startswith(stores.PLAY_TYPES_PREFIX):
            return _tick(response in self.types)
        play, decl = self.play, self.decl
        deletion = any(r.key == "deletion" for r in decl.rights.items)
        outside = play.outside_app_account_types
        answers: dict[tuple[str, str], str] = {
            ("PSL_DATA_COLLECTION_COLLECTS_PERSONAL_DATA", ""): _flag(self.collects),
            ("PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT", ""): (
                _flag(play.encrypted_in_transit) if self.collects else ""
            ),
            ("PSL_ACM_SPECIFY", ""): play.account_creation_note or "",
            ("PSL_ACCOUNT_DELETION_URL", ""): _url(decl, play.account_deletion_path),
            ("PSL_SUPPORT_DATA_DELETION_BY_USER", "DATA_DELETION_YES"): _tick(deletion),
            ("PSL_SUPPORT_DATA_DELETION_BY_USER", "DATA_DELETION_NO"): _tick(not deletion),
            ("PSL_SUPPORT_DATA_DELETION_BY_USER", "DATA_DELETION_NO_AUTO_DELETED"): "",
            ("PSL_DATA_DELETION_URL", ""): _url(decl, play.data_deletion_path),
            ("PSL_DATA_COLLECTION_COMPLIES_FAMILY_POLICY", ""): _tick(play.designed_for_families),
            ("PSL_INDEPENDENTLY_VALIDATED", ""): (
                ""
                if play.independent_security_review is None
                else _flag(play.independent_security_review)
            ),
            ("PSL_UPI_BADGE_OPT_IN", ""): "",
            ("PSL_HAS_OUTSIDE_APP_ACCOUNTS", ""): _flag(bool(outside)),
            ("PSL_OUTSIDE_APP_ACCOUNT_TYPE_SPECIFY", ""): play.outside_app_account_note or "",
        }
        if question == "PSL_SUPPORTED_ACCOUNT_CREATION_METHODS":
            return _tick(response in play.account_creation_methods)
        if question == "PSL_OUTSIDE_APP_ACCOUNT_TYPES":
            return _tick(response in outside)
        if (question, response) not in answers:
            raise ValueError(f"unrecognised Data safety row: {question},{response}")
        return answers[(question, response)]

    def _usage(self, question: str, response: str) -> str:
        _prefix, type_id, aspect = question.split(":")
        item = self.types.get(type_id)
        if item is None:
            return ""
        if aspect == "PSL_DATA_USAGE_COLLECTION_AND_SHARING":
            chosen = {
                "PSL_DATA_USAGE_ONLY_COLLECTED": item.collected,
                "PSL_DATA_USAGE_ONLY_SHARED": item.shared,
            }
            return _tick(chosen[response])
        if aspect == "PSL_DATA_USAGE_EPHEMERAL":
            return _flag(item.ephemeral)
        if aspect == "DATA_USAGE_USER_CONTROL":
            optional = response == "PSL_DATA_USAGE_USER_CONTROL_OPTIONAL"
            return _tick(optional != item.required)
        if aspect == "DATA_USAGE_COLLECTION_PURPOSE":
            return _tick(response in item.collection_purposes)
        if aspect == "DATA_USAGE_SHARING_PURPOSE":
            return _tick(response in item.sharing_purposes)
        raise ValueError(f"unrecognised Data safety row: {question},{response}")


_HEAD: dict[str, str] = {
    "type": N_("Data type"),
    "handling": N_("Collected / shared"),
    "required": N_("Required"),
    "collect": N_("Why collected"),
    "share": N_("Why shared"),
    "encrypted": N_("Encrypted in transit"),
    "deletion_url": N_("Account deletion"),
    "deletion": N_("Users can ask for deletion"),
}
_HANDLING: dict[tuple[bool, bool], str] = {
    (True, False): N_("Collected"),
    (False, True): N_("Shared"),
    (True, True): N_("Collected and shared"),
}


def datasafety_html(decl: Declaration, lang: Lang = "en") -> str:
    answers = datasafety_answers(decl)
    names = stores.play_purposes()
    rows = [
        [
            t["label"].split("/", 1)[-1],
            wording.pick(_HANDLING[(t["collected"], t["shared"])], lang),
            wording.yes_no(t["required"], lang),
            wording.series((names[p] for p in t["collection_purposes"]), lang),
            wording.series((names[p] for p in t["sharing_purposes"]), lang) or "—",
        ]
        for t in answers["data_types"]
    ]
    facts: Block = terms(
        [
            (
                wording.pick(_HEAD["encrypted"], lang),
                wording.yes_no(answers["encrypted_in_transit"], lang),
            ),
            (wording.pick(_HEAD["deletion_url"], lang), answers["account_deletion_url"]),
            (
                wording.pick(_HEAD["deletion"], lang),
                wording.yes_no(answers["deletion_request_supported"], lang),
            ),
        ]
    )
    head = [
        wording.pick(_HEAD[k], lang) for k in ("type", "handling", "required", "collect", "share")
    ]
    blocks = [facts, table(head, rows, css="play-data-safety")]
    title = decl.section_title(decl.app_stores.google_play.section, lang)
    return wording.render(
        "fragment.html", css="play-data-safety", lang=lang, title=title, blocks=blocks
    )
