"""retention, legal holds and jobs

Revision ID: d4b2a1c3e5f7
Revises: c3a1f0e2d4b6
Create Date: 2026-12-02 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import privacyops.db

revision: str = "d4b2a1c3e5f7"
down_revision: str | None = "c3a1f0e2d4b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = privacyops.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", BigId, nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_at", Moment, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("started_at", Moment, nullable=True),
        sa.Column("heartbeat_at", Moment, nullable=True),
        sa.Column("finished_at", Moment, nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="ck_job_status"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_status_run_at", ["status", "run_at"], unique=False)
        for status in ("queued", "running"):
            batch_op.create_index(
                f"uq_job_{status}_task",
                ["task"],
                unique=True,
                sqlite_where=sa.text(f"status = '{status}'"),
                postgresql_where=sa.text(f"status = '{status}'"),
            )

    op.create_table(
        "job_schedule",
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("next_run_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("task"),
    )
    op.create_table(
        "retention_anonymous_count",
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("category", "field", "purpose", "region", "month"),
    )
    op.create_table(
        "retention_sweep",
        sa.Column("id", BigId, nullable=False),
        sa.Column("started_at", Moment, nullable=False),
        sa.Column("finished_at", Moment, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("cutoff", Moment, nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.BigInteger(), nullable=False),
        sa.Column("anonymized", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("extras", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('running', 'done', 'interrupted')", name="ck_sweep_status"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("retention_sweep", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_sweep_started_at"), ["started_at"], unique=False
        )

    op.create_table(
        "legal_hold",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("law", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("ends_at", Moment, nullable=True),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("lifted_at", Moment, nullable=True),
        sa.Column("lifted_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "subject_id IS NOT NULL OR category IS NOT NULL", name="ck_legal_hold_target"
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        for column in ("category", "lifted_at", "subject_id"):
            batch_op.create_index(batch_op.f(f"ix_legal_hold_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        for column in ("subject_id", "lifted_at", "category"):
            batch_op.drop_index(batch_op.f(f"ix_legal_hold_{column}"))
    op.drop_table("legal_hold")
    with op.batch_alter_table("retention_sweep", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_sweep_started_at"))
    op.drop_table("retention_sweep")
    op.drop_table("retention_anonymous_count")
    op.drop_table("job_schedule")
    with op.batch_alter_table("job", schema=None) as batch_op:
        for status in ("running", "queued"):
            batch_op.drop_index(
                f"uq_job_{status}_task",
                sqlite_where=sa.text(f"status = '{status}'"),
                postgresql_where=sa.text(f"status = '{status}'"),
            )
        batch_op.drop_index("ix_job_status_run_at")
    op.drop_table("job")
