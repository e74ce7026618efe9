"""Test subjects with named traits: ``SubjectFactory(db, vault)(email=..., with_values=True)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from privacyops.db import Database, utcnow
from privacyops.subjects import records
from privacyops.subjects import service as subjects
from privacyops.vault.service import Vault

ACTOR = "staff:test"
EMAIL = "Alice.Zhang@Example.com"
PHONE = "+86 138-1234-5678"
NAME = "Zhang Xiaoli Alice"


@dataclass
class SubjectFactory:
    db: Database
    vault: Vault

    def __call__(
        self,
        *,
        kind: str = "customer",
        country: str | None = "CN",
        email: str | None = None,
        phone: str | None = None,
        with_values: bool = False,
    ) -> str:
        """A committed subject; ``with_values`` stores its name, e-mail and phone encrypted."""
        with self.db.unit_of_work() as session:
            subject = subjects.create_subject(
                session=session, kind=kind, country=country, actor=ACTOR
            )
            for kind_, value in (("email", email), ("phone", phone)):
                if value is not None:
                    subjects.add_identity(
                        session=session,
                        vault=self.vault,
                        subject_id=subject.id,
                        kind=kind_,
                        value=value,
                        actor=ACTOR,
                    )
            if with_values:
                for field, value in (
                    ("name", NAME),
                    ("email", email or EMAIL),
                    ("phone", phone or PHONE),
                ):
                    store(session, self.vault, subject.id, field, value)
            return subject.id


def store(session: Session, vault: Vault, subject_id: str, field: str, value: str) -> int:
    """Store one contact value the way intake would (category, purpose, region, expiry)."""
    return records.store_value(
        session=session,
        vault=vault,
        subject_id=subject_id,
        category="contact",
        field=field,
        purpose="service_support",
        region="cn",
        value=value,
        expires_at=utcnow() + timedelta(days=365),
        notice_version="1.0.0",
        source="form",
        actor=ACTOR,
    ).id
