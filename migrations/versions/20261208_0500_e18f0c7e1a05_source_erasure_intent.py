"""external sources: an erasure's intent, recorded before the external commit

Revision ID: e18f0c7e1a05
Revises: d17e0c7e1a04
Create Date: 2026-12-08 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import privacyops.db

revision: str = "e18f0c7e1a05"
down_revision: str | None = "d17e0c7e1a04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = privacyops.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source_erasure_intent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=20), nullable=False),
        sa.Column("table_label", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["rights_request.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "table_label", name="uq_source_erasure_intent"),
    )
    op.create_index(
        op.f("ix_source_erasure_intent_request_id"),
        "source_erasure_intent",
        ["request_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_source_erasure_intent_request_id"), table_name="source_erasure_intent")
    op.drop_table("source_erasure_intent")
