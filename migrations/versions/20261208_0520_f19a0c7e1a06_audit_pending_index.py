"""audit: a partial index of the pending events, in insert order

Revision ID: f19a0c7e1a06
Revises: e18f0c7e1a05
Create Date: 2026-12-08 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f19a0c7e1a06"
down_revision: str | None = "e18f0c7e1a05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("seq IS NULL")


def upgrade() -> None:
    # The sequencer reads the oldest pending events first; without this index PostgreSQL
    # walks the primary key past every sequenced event (a batch slows as the log grows).
    op.create_index(
        "ix_audit_event_pending",
        "audit_event",
        ["id"],
        unique=False,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_pending", table_name="audit_event")
