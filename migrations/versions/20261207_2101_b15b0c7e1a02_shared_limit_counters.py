"""shared limit counters

Revision ID: b15b0c7e1a02
Revises: f15a0c7e1a01
Create Date: 2026-12-07 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import privacyops.db

revision: str = "b15b0c7e1a02"
down_revision: str | None = "f15a0c7e1a01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = privacyops.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "limit_counter",
        sa.Column("key", sa.String(length=240), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("started_at", Moment, nullable=False),
        sa.Column("ends_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_limit_counter_ends_at", "limit_counter", ["ends_at"], unique=False)
    # Failed logins are counted in limit_counter now; the old rows only held the last minute.
    op.drop_index("ix_login_failure_key_at", table_name="login_failure")
    op.drop_table("login_failure")


def downgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_key_at", "login_failure", ["key", "at"], unique=False)
    op.drop_index("ix_limit_counter_ends_at", table_name="limit_counter")
    op.drop_table("limit_counter")
