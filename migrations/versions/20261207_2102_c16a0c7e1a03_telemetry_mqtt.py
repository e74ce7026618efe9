"""telemetry over mqtt: sealed serials, message ids, rejections

Revision ID: c16a0c7e1a03
Revises: b15b0c7e1a02
Create Date: 2026-12-07 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import privacyops.db

revision: str = "c16a0c7e1a03"
down_revision: str | None = "b15b0c7e1a02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = privacyops.db.UTCDateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("telemetry_device", sa.Column("sealed_serial", sa.LargeBinary(), nullable=True))
    op.create_table(
        "telemetry_message",
        sa.Column("device_key", sa.LargeBinary(length=16), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("device_key", "batch_id"),
    )
    op.create_table(
        "telemetry_rejection",
        sa.Column("id", BigId, nullable=False),
        sa.Column("device_key", sa.LargeBinary(length=16), nullable=True),
        sa.Column("at", Moment, nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.Column("dedupe", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe"),
    )
    op.create_index(
        "ix_telemetry_rejection_device", "telemetry_rejection", ["device_key", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_telemetry_rejection_device", table_name="telemetry_rejection")
    op.drop_table("telemetry_rejection")
    op.drop_table("telemetry_message")
    with op.batch_alter_table("telemetry_device", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("sealed_serial")
