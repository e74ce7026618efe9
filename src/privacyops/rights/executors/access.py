"""Access and portability: every category held for the subject, in one encrypted package.

The package holds the subject's vault values (one section per category, read
with ``iter_values`` so rows stream), the consent history (when the consent
domain exists), the subject's rights requests, metadata of personal data
found in free text (types and positions, never the text), sections other
domains register (telemetry of owned devices, see ``extensions``) and the
rows external sources hold (``rights.connectors``). Each section is JSON and
CSV; ``summary.html`` says in English and Chinese what each category is,
why it is held, who receives it and how long it is kept; ``manifest.json``
lists the sections.

The zip is encrypted while it is written (``package``) under a random key
that is stored encrypted under the subject's vault key, so erasing the
subject kills the package with everything else. The requester downloads it
with a token (``download``): only its hash is stored; the raw token goes back
in ``ExecutionReport.download_token`` for the caller to hand to the requester
(a sealed message), and nowhere else. A token lost to a crash after the
commit is replaced with ``download.reissue_download``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from privacyops.audit import service as audit
from privacyops.collection.models import TextFinding
from privacyops.consent.models import ConsentEvent
from privacyops.db import utcnow
from privacyops.rights import connectors
from privacyops.rights.executors import download, export, extensions, package, summary
from privacyops.rights.executors.engine import ExecutionError, StepContext
from privacyops.rights.models import AccessPackage, RightsRequest
from privacyops.sources import health
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.subjects.models import PersonalRecord, SubjectState
from privacyops.subjects.records import StoredValue
from privacyops.telemetry import service as telemetry
from privacyops.telemetry.models import VALUE_COLUMNS
from privacyops.web.i18n import N_, translations

PACKAGE_DAYS = 14
REQUEST_COLUMNS = ("id", "type", "status", "channel", "received_at", "due_at", "closed_at")
FINDING_COLUMNS = ("record_id", "category", "field", "entity_type", "start", "end", "score")
CONSENT_COLUMNS = (
    "occurred_at",
    "purpose",
    "state",
    "method",
    "receipt_id",
    "policy_version",
    "notice_version",
    "lang",
    "regime",
    "ip_prefix",
    "ua_family",
)
TELEMETRY_COLUMNS = ("device_id", "device_model", "kind", "recorded_at", *VALUE_COLUMNS)
_IDENTITY_FIELDS = frozenset({"email", "phone", "account_id"})


def build_package(ctx: StepContext) -> dict[str, Any]:
    """The access step: write, encrypt and record the package; the token goes to the report."""
    request, session = ctx.request, ctx.session
    subject = subjects.get_subject(session=session, subject_id=request.subject_id)
    if subject.state == SubjectState.ERASED:
        raise ExecutionError(f"data subject of {request.id} was erased; there is nothing to give")
    now = utcnow()
    expires = now + timedelta(days=PACKAGE_DAYS)
    key = package.new_key()
    name = f"{request.id}.pkg"
    writer = package.EncryptingWriter(ctx.settings.packages_dir / name, key)
    try:
        with zipfile.ZipFile(writer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            sections = _write_sections(ctx, zf)
            export.write_json(zf, "manifest.json", _manifest(request, now, sections))
            page = summary.render_summary(
                declaration=ctx.declaration,
                request_id=request.id,
                generated_at=now,
                expires_at=expires,
                sections=sections,
                language=request.language,
            )
            with zf.open("summary.html", "w") as out:
                out.write(page.encode("utf-8"))
        size, digest = writer.finish()
    except BaseException:
        writer.abort()
        raise
    row = session.scalar(select(AccessPackage).where(AccessPackage.request_id == request.id))
    if row is None:
        row = AccessPackage(request_id=request.id, download_token_hash="")
        session.add(row)
    row.path, row.size_bytes, row.sha256 = name, size, digest
    row.created_at, row.expires_at, row.downloaded_at = now, expires, None
    row.key_ciphertext = ctx.vault.encrypt(
        session=session,
        subject_id=subject.id,
        category=download.KEY_CATEGORY,
        field=request.id,
        value=key,
    )
    session.flush()
    token, row.download_token_hash = download.new_token(row.id)
    ctx.secrets["download_token"] = token
    counts = [{"section": s.name, "records": s.records} for s in sections]
    audit.record(
        session=session,
        actor=ctx.actor,
        action="rights.package_built",
        target_type="rights_request",
        target_id=request.id,
        details={"package_id": row.id, "size_bytes": size, "sections": counts},
    )
    session.flush()
    return {
        "package_id": row.id,
        "size_bytes": size,
        "sha256": digest,
        "expires_at": expires.isoformat(),
        "sections": counts,
    }


def _write_sections(ctx: StepContext, zf: zipfile.ZipFile) -> list[export.SectionInfo]:
    session, subject_id = ctx.session, ctx.request.subject_id
    sections: list[export.SectionInfo] = []
    identity_values: list[StoredValue] = []

    def keep_identities(values: Iterator[StoredValue]) -> Iterator[StoredValue]:
        for value in values:
            if value.field in _IDENTITY_FIELDS:
                identity_values.append(value)
            yield value

    revealed = 0
    for category in records.category_counts(session=session, subject_id=subject_id):
        try:
            decl = ctx.declaration.category(category)
        except KeyError:
            decl = None
        values = records.iter_values(
            session=session, vault=ctx.vault, subject_id=subject_id, reveal=True, category=category
        )
        path = f"data/{category}"
        rows = export.value_rows(keep_identities(values), decl)
        count = export.write_section(zf, path, export.vault_columns(decl), rows)
        label_en, label_zh = (decl.label.en, decl.label.zh_cn) if decl else (category, category)
        sections.append(export.SectionInfo(path, label_en, label_zh, count, category, _files(path)))
        revealed += count
    audit.record(
        session=session,
        actor=ctx.actor,
        action="subject.values_revealed",
        target_type="subject",
        target_id=subject_id,
        details={"records": revealed, "for_request": ctx.request.id},
    )
    for path, info, columns, rows in _other_sections(session, subject_id):
        info.records = export.write_section(zf, path, columns, rows)
        sections.append(info)
    sections.extend(_external(ctx, zf, identity_values))
    return sections


def _files(path: str) -> tuple[str, ...]:
    return (f"{path}.json", f"{path}.csv")


_Section = tuple[str, export.SectionInfo, tuple[str, ...], Any]


def _section(name: str, label: str) -> export.SectionInfo:
    """A section titled ``label`` (a catalogue message id) in English and Chinese."""
    label_zh = translations("zh-CN").gettext(label)
    return export.SectionInfo(name, label, label_zh, files=_files(name))


def _other_sections(session: Session, subject_id: str) -> Iterator[_Section]:
    yield (
        "consent",
        _section("consent", N_("Consent history")),
        CONSENT_COLUMNS,
        export.flat_rows(_consent(session, subject_id), CONSENT_COLUMNS),
    )
    yield (
        "telemetry",
        _section("telemetry", N_("Readings of your devices")),
        TELEMETRY_COLUMNS,
        _telemetry(session, subject_id),
    )
    yield (
        "requests",
        _section("requests", N_("Your privacy requests")),
        REQUEST_COLUMNS,
        export.flat_rows(_requests(session, subject_id), REQUEST_COLUMNS),
    )
    yield (
        "text_findings",
        _section("text_findings", N_("Personal data found in your messages")),
        FINDING_COLUMNS,
        export.flat_rows(_findings(session, subject_id), FINDING_COLUMNS),
    )
    for extra in extensions.access_sections():
        yield (
            extra.name,
            _section(extra.name, extra.label),
            extra.columns,
            export.flat_rows(extra.rows(session, subject_id), extra.columns),
        )


def _consent(session: Session, subject_id: str) -> Iterator[dict[str, Any]]:
    # Read-only, on the consent table's subject index: the consent service reads
    # only the newest event per purpose, and the package needs the whole history.
    query = (
        select(ConsentEvent)
        .where(ConsentEvent.subject_id == subject_id)
        .order_by(ConsentEvent.id)
        .execution_options(yield_per=500)
    )
    for event in session.scalars(query):
        yield {c: connectors.jsonable(getattr(event, c)) for c in CONSENT_COLUMNS}


def _telemetry(session: Session, subject_id: str) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    """Readings of the devices the subject owned, inside the ownership periods only."""
    for reading in telemetry.readings_for_subject(session, subject_id):
        values = {k: connectors.jsonable(v) for k, v in reading.values.items()}
        head = {
            "device_id": reading.device_id,
            "device_model": reading.device_model,
            "kind": reading.kind,
            "recorded_at": reading.recorded_at.isoformat(),
        }
        yield {**head, "values": values}, [*head.values(), *(values.get(c) for c in VALUE_COLUMNS)]


def _requests(session: Session, subject_id: str) -> Iterator[dict[str, Any]]:
    query = (
        select(RightsRequest)
        .where(RightsRequest.subject_id == subject_id)
        .order_by(RightsRequest.received_at)
    )
    for row in session.scalars(query):
        yield {column: connectors.jsonable(getattr(row, column)) for column in REQUEST_COLUMNS}


def _findings(session: Session, subject_id: str) -> Iterator[dict[str, Any]]:
    # Read-only join on the collection domain's table: the findings are metadata of
    # the subject's values (type and position), and collection has no reader for them.
    query = (
        select(
            TextFinding.record_id,
            PersonalRecord.category,
            PersonalRecord.field,
            TextFinding.entity_type,
            TextFinding.start,
            TextFinding.end,
            TextFinding.score,
        )
        .join(PersonalRecord, PersonalRecord.id == TextFinding.record_id)
        .where(PersonalRecord.subject_id == subject_id)
        .order_by(TextFinding.record_id, TextFinding.start)
    )
    for row in session.execute(query.execution_options(yield_per=500)):
        yield dict(zip(FINDING_COLUMNS, row, strict=True))


def _external(
    ctx: StepContext, zf: zipfile.ZipFile, identity_values: list[StoredValue]
) -> list[export.SectionInfo]:
    if not ctx.declaration.external_sources:
        return []
    bound = [
        (i.kind, i.blind_index)
        for i in subjects.identities_of(session=ctx.session, subject_id=ctx.request.subject_id)
    ]
    ids = connectors.subject_identities(vault=ctx.vault, values=identity_values, bound=bound)
    found: list[export.SectionInfo] = []
    for connector in connectors.connectors_for(
        ctx.declaration, settings=ctx.settings, vault=ctx.vault
    ):
        health.note_use(session=ctx.session, source=connector.source.name, at=utcnow())
        with connectors.walk(connector, ids) as walk:
            for spec in walk.tables:  # parents first: a child is reached through their keys
                path = f"external/{connector.source.name}/{spec.name}"
                columns = connector.shown(spec)
                rows = export.flat_rows(walk.rows(spec), columns)
                label = connector.label(spec)
                info = export.SectionInfo(path, label, label, category=spec.category)
                info.records = export.write_section(zf, path, columns, rows)
                info.files = _files(path)
                found.append(info)
    return found


def _manifest(
    request: RightsRequest, now: datetime, sections: list[export.SectionInfo]
) -> dict[str, Any]:
    return {
        "format": "privacyops-access-package/1",
        "request_id": request.id,
        "request_type": request.type,
        "generated_at": now.isoformat(),
        "sections": [
            {"name": s.name, "category": s.category, "records": s.records, "files": list(s.files)}
            for s in sections
        ],
        "summary": "summary.html",
    }


def outcome(ctx: StepContext) -> dict[str, Any]:
    built = ctx.results.get("build_package", {})
    return {
        "summary": "access package ready for download",
        "package": built,
        "kept": [],
    }
