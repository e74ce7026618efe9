"""What the website and apps collect automatically (policy 2.2), in the form the declaration allows.

The caller may send the raw request facts (the user agent string, the client's
IP address) and/or values of the automatic categories themselves (an SDK knows
the device model and network type better than a user agent does). Raw facts are
turned into declared fields here and then checked like every other intake:

- the user agent is parsed with ``ua-parser`` into ``browser_type``
  (name, version), ``os_version`` and ``device_model``; the string itself is not
  kept, although the declaration would allow it, because the parsed fields serve
  every declared purpose and the full string is a fingerprinting aid;
- an IP address is truncated (/24, /48) before anything is stored, and only the
  truncated network is kept as ``ip_address``; its registered country, looked up
  offline by ``iptocc``, becomes ``approximate_location.country``. Every field the
  declaration types ``ip_address`` is stored truncated, also when sent in ``data``.

Only the categories of policy 2.2 whose source is ``automatic`` are accepted here
(cookie identifiers belong to the consent banner). The whole submission is
validated before the first value is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ua_parser import parse as parse_user_agent

from privacyops.collection import network
from privacyops.collection.age import limited_to_essentials
from privacyops.collection.intake import (
    Intake,
    IntakeError,
    IntakeResult,
    StoredField,
    check_notice_version,
    store_fields,
    validate_fields,
)
from privacyops.policy.schema import DataCategory, Declaration
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectError
from privacyops.subjects.models import Subject, SubjectKind

SOURCE = "automatic"
IDENTITY_KINDS = ("account_id", "cookie_id")
MAX_EVENTS = 100
SECTION = "2.2"

Values = dict[str, object]


@dataclass(frozen=True)
class Submission:
    """One automatic-data submission as it arrives (already shaped by the API schema)."""

    notice_version: str
    purpose: str
    identity: Mapping[str, object]
    data: Mapping[str, object]
    user_agent: str | None = None
    ip_address: str | None = None
    country: str | None = None
    region: str | None = None


def automatic_categories(declaration: Declaration) -> dict[str, DataCategory]:
    return {
        cat.key: cat
        for cat in declaration.categories
        if cat.source == "automatic" and cat.section == SECTION
    }


def _fit(cat: DataCategory, name: str, value: str | None) -> str | None:
    """A derived value cut to its declared length (a parser's label is never refused)."""
    decl = cat.field(name)
    if decl is None or not value or value == "Other":
        return None
    return value[: decl.max_length] if decl.max_length else value


def _put(out: dict[str, Values], cats: Mapping[str, DataCategory], key: str, **values: Any) -> None:
    cat = cats.get(key)
    if cat is None:
        return
    kept = {name: fitted for name, raw in values.items() if (fitted := _fit(cat, name, raw))}
    if kept:
        out.setdefault(key, {}).update(kept)


def from_user_agent(declaration: Declaration, user_agent: str) -> dict[str, Values]:
    """Declared fields parsed from a user agent string (unknown parts are left out)."""
    cats = automatic_categories(declaration)
    result = parse_user_agent(user_agent)
    out: dict[str, Values] = {}
    if result.user_agent is not None:
        browser = result.user_agent
        version = ".".join(p for p in (browser.major, browser.minor, browser.patch) if p)
        _put(out, cats, "browser_type", browser_name=browser.family, browser_version=version)
    if result.os is not None:
        os = result.os
        version = ".".join(p for p in (os.major, os.minor, os.patch) if p)
        _put(out, cats, "os_version", os_name=os.family, os_version=version)
    if result.device is not None and result.device.family != "Other":
        device = result.device
        _put(out, cats, "device_model", manufacturer=device.brand, model=device.model)
    return out


def from_ip(declaration: Declaration, address: str) -> dict[str, Values]:
    """The truncated network and its registered country; the full address is not kept."""
    try:
        truncated = network.truncate(address)
    except network.InvalidAddressError:
        raise IntakeError("ip_address must be an IP address", field="ip_address") from None
    cats = automatic_categories(declaration)
    out: dict[str, Values] = {}
    if "ip_address" in cats:
        out["ip_address"] = {"ip_address": truncated}
    country = network.country_of(address)
    if country is not None and "approximate_location" in cats:
        out["approximate_location"] = {"country": country}
    return out


def _items(key: str, raw: object) -> list[Mapping[str, object]]:
    """A category's submitted values: one object, or (for event logs) a list of them."""
    if isinstance(raw, Mapping):
        return [raw]
    if isinstance(raw, list) and raw:
        if len(raw) > MAX_EVENTS:
            raise IntakeError(f"at most {MAX_EVENTS} entries per category", field=f"data.{key}")
        if all(isinstance(item, Mapping) for item in raw):
            return list(raw)
    raise IntakeError(
        "must be an object of declared fields, or a list of them", field=f"data.{key}"
    )


def _identity(submission: Submission) -> tuple[str, str]:
    if len(submission.identity) != 1:
        raise IntakeError("give exactly one of account_id or cookie_id", field="identity")
    kind, value = next(iter(submission.identity.items()))
    if kind not in IDENTITY_KINDS:
        raise IntakeError("identity takes account_id or cookie_id", field=f"identity.{kind}")
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise IntakeError("must be a string of 1 to 128 characters", field=f"identity.{kind}")
    return kind, value.strip()


def _truncate_addresses(cat: DataCategory, values: dict[str, str]) -> dict[str, str]:
    for decl in cat.fields:
        if decl.type == "ip_address" and decl.name in values:
            values[decl.name] = network.truncate(values[decl.name])
    return values


def collect(intake: Intake, submission: Submission) -> IntakeResult:
    """Check the whole submission against the declaration, then store each value in the vault."""
    notice = check_notice_version(intake, submission.notice_version)
    cats = automatic_categories(intake.declaration)
    wanted: dict[str, list[Mapping[str, object]]] = {}
    if submission.user_agent:
        for key, values in from_user_agent(intake.declaration, submission.user_agent).items():
            wanted[key] = [values]
    if submission.ip_address:
        for key, values in from_ip(intake.declaration, submission.ip_address).items():
            wanted[key] = [values]
    for key, raw in submission.data.items():
        if key not in cats:
            declared = key in {c.key for c in intake.declaration.categories}
            reason = (
                "is not automatically collected data; send it through its own intake route"
                if declared
                else "is not a declared data category"
            )
            raise IntakeError(f"{key!r} {reason}", field=f"data.{key}")
        items = _items(key, raw)
        if key in wanted and len(items) == 1:
            wanted[key] = [{**wanted[key][0], **items[0]}]
        else:
            wanted[key] = items
    if not wanted:
        raise IntakeError("nothing to store: send user_agent, ip_address or data", field="data")

    kind, value = _identity(submission)
    try:
        subject = subjects.find_subject_by(
            session=intake.session, vault=intake.vault, kind=kind, value=value
        )
    except SubjectError as error:
        raise IntakeError(str(error), field=f"identity.{kind}") from None
    if kind == "account_id" and (subject is None or subject.state == "erased"):
        raise IntakeError("no such account", field="identity.account_id", status=404)
    if subject is not None and subject.state == "erased":
        raise IntakeError("this data subject was erased", field=f"identity.{kind}", status=409)
    subject_kind = subject.kind if subject is not None else SubjectKind.VISITOR.value
    try:
        purpose = intake.declaration.purpose(submission.purpose)
    except KeyError:
        raise IntakeError(
            f"purpose {submission.purpose!r} is not declared", field="purpose"
        ) from None
    if subject is not None and limited_to_essentials(subject) and not purpose.essential:
        raise IntakeError(
            "this account waits for verified parental consent: only essential purposes",
            field="purpose",
            status=403,
        )

    checked: list[tuple[str, dict[str, str]]] = []
    for key, items in wanted.items():
        cat = cats[key]
        if subject_kind not in cat.subjects:
            raise IntakeError(
                f"data category {key!r} is not declared for data subjects of kind {subject_kind!r}",
                field=f"data.{key}",
            )
        for item in items:
            try:
                canonical = validate_fields(
                    intake,
                    category=key,
                    purpose=submission.purpose,
                    values=item,
                    subject_id=subject.id if subject is not None else None,
                )
            except IntakeError as error:
                field = _renamed(error.field, key)
                raise IntakeError(str(error), field=field, status=error.status) from None
            checked.append((key, _truncate_addresses(cat, canonical)))

    created = False
    if subject is None:
        subject = _new_visitor(intake, submission, kind=kind, value=value)
        created = True
    stored: list[StoredField] = []
    for key, canonical_values in checked:
        stored += store_fields(
            intake,
            subject_id=subject.id,
            category=key,
            purpose=submission.purpose,
            values=canonical_values,
            notice_version=notice,
            source=SOURCE,
        )
    return IntakeResult(subject.id, created, notice, stored)


def _renamed(field: str | None, category: str) -> str | None:
    if field is not None and field.startswith("fields."):
        return f"data.{category}.{field.removeprefix('fields.')}"
    return field


def _new_visitor(intake: Intake, submission: Submission, *, kind: str, value: str) -> Subject:
    country = submission.country
    if country is None and submission.ip_address:
        country = network.country_of(submission.ip_address)
    try:
        subject = subjects.create_subject(
            session=intake.session,
            kind=SubjectKind.VISITOR,
            actor=intake.actor,
            country=country,
            region_code=submission.region,
        )
        subjects.add_identity(
            session=intake.session,
            vault=intake.vault,
            subject_id=subject.id,
            kind=kind,
            value=value,
            actor=intake.actor,
        )
    except SubjectError as error:
        field = "country" if error.field == "country" else f"identity.{kind}"
        raise IntakeError(str(error), field=field, status=422) from None
    return subject
