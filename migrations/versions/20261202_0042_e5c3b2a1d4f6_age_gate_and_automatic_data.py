"""age gate and automatic data

Revision ID: e5c3b2a1d4f6
Revises: d4b2a1c3e5f7
Create Date: 2026-12-02 00:42:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import privacyops.db

revision: str = "e5c3b2a1d4f6"
down_revision: str | None = "d4b2a1c3e5f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = privacyops.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN on SQLite too: the subject table is never rebuilt, because
    # rows of other tables reference it with ON DELETE RESTRICT.
    op.add_column("subject", sa.Column("age_threshold", sa.SmallInteger(), nullable=True))
    op.add_column("subject", sa.Column("parental_consent_at", Moment, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subject", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("parental_consent_at")
        batch_op.drop_column("age_threshold")
