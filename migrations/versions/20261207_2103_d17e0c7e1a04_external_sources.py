"""external sources: per-table erasure progress and source health

Revision ID: d17e0c7e1a04
Revises: c16a0c7e1a03
Create Date: 2026-12-07 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import privacyops.db

revision: str = "d17e0c7e1a04"
down_revision: str | None = "c16a0c7e1a03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = privacyops.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source_erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("table_label", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("erased", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("kept_until", Moment, nullable=True),
        sa.Column("law", sa.Text(), nullable=True),
        sa.Column("done_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["rights_request.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "table_label", name="uq_source_erasure"),
    )
    op.create_index(
        op.f("ix_source_erasure_request_id"), "source_erasure", ["request_id"], unique=False
    )
    op.create_table(
        "source_health",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("last_request_at", Moment, nullable=True),
        sa.Column("checked_at", Moment, nullable=True),
        sa.Column("reachable", sa.Boolean(), nullable=True),
        sa.Column("indexes_ok", sa.Boolean(), nullable=True),
        sa.Column("check_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("source_health")
    op.drop_index(op.f("ix_source_erasure_request_id"), table_name="source_erasure")
    op.drop_table("source_erasure")
