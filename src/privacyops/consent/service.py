"""Recording consent: choices, withdrawals, GPC. No HTTP; never commits.

Every choice is appended as one `consent_event` per purpose, sharing a receipt id;
nothing is ever updated. Reading the state it leaves is `state`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, String, Table, case, insert, literal, select, union_all
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.consent import freshness
from privacyops.consent.catalogue import Catalogue, PurposeInfo, catalogue
from privacyops.consent.models import ConsentEvent, ConsentState, Method
from privacyops.jurisdictions import service as jurisdictions
from privacyops.jurisdictions.rules import Regime
from privacyops.policy.schema import Declaration
from privacyops.subjects import service as subjects
from privacyops.subjects.errors import SubjectNotFoundError
from privacyops.subjects.models import Subject, SubjectState
from privacyops.vault import hooks


class ConsentError(ValueError):
    """A refusal the face turns into an HTTP error (``status``) naming ``field``."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True, slots=True)
class Who:
    """A data subject, or a browser known only by the blind index of its random cookie id."""

    subject_id: str | None = None
    cookie_index: bytes | None = None

    def __post_init__(self) -> None:
        if (self.subject_id is None) == (self.cookie_index is None):
            raise ValueError("give a subject id or a cookie index, not both")

    @property
    def pseudonym(self) -> str:
        if self.subject_id is not None:
            return f"subject:{self.subject_id}"
        assert self.cookie_index is not None
        return f"cookie:{self.cookie_index.hex()}"

    def where(self) -> ColumnElement[bool]:
        if self.subject_id is not None:
            return ConsentEvent.subject_id == self.subject_id
        return ConsentEvent.cookie_index == self.cookie_index


@dataclass(frozen=True, slots=True)
class Context:
    """Everything about a choice that is not the choice itself."""

    regime: Regime
    gpc_applies: bool
    gpc_signal: bool
    policy_version: str
    notice_version: str
    notice_hash: str
    lang: str
    at: datetime
    actor: str
    ip_prefix: str | None = None
    ua_family: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    purpose: str
    state: ConsentState
    method: Method


@dataclass(frozen=True)
class Recorded:
    receipt_id: str
    who: Who
    method: Method
    context: Context
    decisions: tuple[Decision, ...]


DenyPredicate = Callable[[Session, Subject, PurposeInfo], bool]
DENY_PREDICATES: list[DenyPredicate] = []


def register_deny(predicate: DenyPredicate) -> DenyPredicate:
    """Add a rule that can only take permission away (e.g. an upheld objection).

    Predicates run when a subject's decisions are (re)loaded, not per check, so they
    may read the database; their answers are cached with the rest.
    """
    DENY_PREDICATES.append(predicate)
    return predicate


@register_deny
def restricted(_session: Session, subject: Subject, purpose: PurposeInfo) -> bool:
    """A restricted subject's data is stored, not otherwise used (GDPR Art. 18)."""
    return subject.state == SubjectState.RESTRICTED and not purpose.essential


def regime_of(subject: Subject) -> Regime:
    """The subject's recorded regime; its place decides if none was recorded."""
    if subject.jurisdiction:
        try:
            return jurisdictions.get_regime(subject.jurisdiction)
        except jurisdictions.UnknownRegimeError:
            pass
    return jurisdictions.regime_for(country=subject.country, state=subject.region_code)


def _expand(cat: Catalogue, choices: Mapping[str, bool]) -> dict[str, bool]:
    wanted: dict[str, bool] = {}
    for key, value in choices.items():
        purposes = cat.expand(key)
        field = f"choices.{key}"
        if purposes is None:
            raise ConsentError(f"{field}: not a declared purpose or cookie category", field=field)
        category = cat.categories.get(key)
        essential = any(cat.purposes[p].essential for p in purposes)
        if not value and (essential or (category is not None and not category.requires_consent)):
            raise ConsentError(
                f"{field}: {key} is needed to provide the service and cannot be turned off",
                field=field,
            )
        for purpose in purposes:
            if not cat.purposes[purpose].essential:
                wanted[purpose] = bool(value)
    return wanted


@dataclass(frozen=True, slots=True)
class _Planned:
    """A decision before it is stored: a refusal (``state`` None) is a withdrawal if the
    newest event of that purpose granted it, else a denial; the insert itself decides."""

    purpose: str
    state: ConsentState | None
    method: Method


def _plan(
    cat: Catalogue, wanted: Mapping[str, bool], method: Method, context: Context
) -> list[_Planned]:
    planned: list[_Planned] = []
    if method is Method.GPC and any(
        value or not cat.purposes[p].gpc for p, value in wanted.items()
    ):
        raise ConsentError("method gpc only opts out of sale and sharing", field="method")
    for purpose, value in wanted.items():
        planned.append(_Planned(purpose, ConsentState.GRANTED if value else None, method))
    if context.gpc_signal and context.gpc_applies and method is not Method.GPC:
        # The signal is an opt-out the person need not repeat; only an explicit
        # choice made in this same request overrides it (11 CCR 7025(c)(3)).
        for purpose in cat.gpc_purposes:
            if purpose not in wanted:
                planned.append(_Planned(purpose, None, Method.GPC))
    if not planned:
        raise ConsentError("choices: give at least one purpose or category", field="choices")
    return planned


def record_choices(
    *,
    session: Session,
    declaration: Declaration,
    who: Who,
    choices: Mapping[str, bool],
    method: Method,
    context: Context,
) -> Recorded:
    """Append one event per purpose the choice touches; returns what the receipt shows."""
    cat = catalogue(declaration)
    if who.subject_id is not None:
        live_subject(session=session, subject_id=who.subject_id)
    planned = _plan(cat, _expand(cat, choices), method, context)
    return _append(session, who, method, context, planned)


def withdraw_all(
    *, session: Session, declaration: Declaration, who: Who, method: Method, context: Context
) -> Recorded:
    """Withdraw every non-essential purpose at once (GDPR Art. 7(3): as easy as giving)."""
    cat = catalogue(declaration)
    return record_choices(
        session=session,
        declaration=declaration,
        who=who,
        choices=dict.fromkeys(cat.optional, False),
        method=method,
        context=context,
    )


def live_subject(*, session: Session, subject_id: str) -> Subject:
    try:
        subject = subjects.get_subject(session=session, subject_id=subject_id)
    except SubjectNotFoundError:
        raise ConsentError(
            f"no data subject {subject_id!r}", field="subject_id", status=404
        ) from None
    if subject.state == SubjectState.ERASED:
        raise ConsentError(
            f"data subject {subject_id!r} was erased", field="subject_id", status=409
        )
    return subject


def _state_sql(who: Who, planned: _Planned) -> ColumnElement[str]:
    """The stored state: a refusal reads the newest event of its purpose (who-index)."""
    if planned.state is not None:
        return literal(planned.state.value, String)
    newest = (
        select(ConsentEvent.state)
        .where(who.where(), ConsentEvent.purpose == planned.purpose)
        .order_by(ConsentEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (newest == ConsentState.GRANTED.value, ConsentState.WITHDRAWN.value),
        else_=ConsentState.DENIED.value,
    )


def _append(
    session: Session, who: Who, method: Method, context: Context, planned: Sequence[_Planned]
) -> Recorded:
    """One statement reads what a refusal needs and inserts every row (one round trip)."""
    receipt_id = str(uuid.uuid4())
    table = cast(Table, ConsentEvent.__table__)
    fixed = {
        "receipt_id": receipt_id,
        "subject_id": who.subject_id,
        "cookie_index": who.cookie_index,
        "policy_version": context.policy_version,
        "notice_version": context.notice_version,
        "notice_hash": context.notice_hash,
        "lang": context.lang,
        "regime": context.regime.code,
        "occurred_at": context.at,
        "ip_prefix": context.ip_prefix,
        "ua_family": context.ua_family,
        "actor": context.actor,
    }
    columns = [*fixed, "purpose", "state", "method"]
    values: list[ColumnElement[Any]] = [literal(v, table.c[n].type) for n, v in fixed.items()]
    if session.get_bind().dialect.name == "postgresql":
        # A NULL in a UNION would be taken for text; SQLite would turn a CAST into a number.
        values = [sql_cast(v, table.c[n].type) for v, n in zip(values, fixed, strict=True)]
    selects = [
        select(
            *values,
            literal(p.purpose, String),
            _state_sql(who, p),
            literal(p.method.value, String),
        )
        for p in planned
    ]
    rows = union_all(*selects) if len(selects) > 1 else selects[0]
    stored = session.execute(
        insert(table)
        .from_select(columns, rows)
        .returning(table.c.purpose, table.c.state, table.c.method)
    )
    states = {purpose: (state, how) for purpose, state, how in stored}
    made = tuple(
        Decision(p.purpose, ConsentState(states[p.purpose][0]), Method(states[p.purpose][1]))
        for p in planned
    )
    audit.record(
        session=session,
        actor=context.actor,
        action="consent.recorded",
        target_type="subject" if who.subject_id else "consent_receipt",
        target_id=who.subject_id or receipt_id,
        details={
            "receipt_id": receipt_id,
            "method": method.value,
            "regime": context.regime.code,
            "policy_version": context.policy_version,
            "decisions": {d.purpose: d.state.value for d in made},
        },
    )
    if who.subject_id is not None:
        subject_id = who.subject_id
        freshness.notify(session, subject_id)
        hooks.after_commit(session, lambda: changed(subject_id))
    return Recorded(receipt_id, who, method, context, made)


#: Called after a commit that changed a subject's consent; `checks` subscribes.
LISTENERS: list[Callable[[str], None]] = []


def changed(subject_id: str) -> None:
    for listener in LISTENERS:
        listener(subject_id)
