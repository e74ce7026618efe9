"""audit log as a transparency log: seal the old hash chain into a Merkle tree

Revision ID: f15a0c7e1a01
Revises: e5c3b2a1d4f6
Create Date: 2026-12-07 21:00:00.000000

The old chain (audit_event.prev_hash/hash and the HMAC-signed audit_head) is
verified once here. Its events keep their order: each becomes a pending event
whose insert id is its old sequence number, followed by one
``audit.chain_sealed`` event that records the old head and the verification
result, so the first sequencer run makes them the first leaves of the tree.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import privacyops.db

revision: str = "f15a0c7e1a01"
down_revision: str | None = "e5c3b2a1d4f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = privacyops.db.UTCDateTime(timezone=True)
GENESIS = "0" * 64
PAGE = 5000
CONTENT = ("occurred_at", "actor", "action", "target_type", "target_id", "details")


def _secret() -> bytes | None:
    secret = (
        op.get_context().config.attributes.get("server_secret") if op.get_context().config else None
    )
    if not secret:
        try:
            from privacyops.settings import Settings

            secret = Settings().secret_key
        except ValueError:
            return None
    return str(secret).encode()


def _chain_hash(seq: int, row: Any, prev: str) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": row.occurred_at.isoformat(),
            "actor": row.actor,
            "action": row.action,
            "target": [row.target_type, row.target_id],
            "details": row.details,
            "prev": prev,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _old_table(name: str) -> sa.Table:
    return sa.table(
        name,
        sa.column("seq", sa.BigInteger()),
        sa.column("occurred_at", Moment),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("target_type", sa.String()),
        sa.column("target_id", sa.String()),
        sa.column("details", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )


NEW = sa.table(
    "audit_event",
    sa.column("id", sa.BigInteger()),
    sa.column("seq", sa.BigInteger()),
    sa.column("occurred_at", Moment),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("target_type", sa.String()),
    sa.column("target_id", sa.String()),
    sa.column("details", sa.JSON()),
)


def _pages(conn: sa.Connection, table: sa.Table, key: str) -> Iterator[Any]:
    last: int | None = None
    column = table.c[key]
    while True:
        query = sa.select(table).order_by(column).limit(PAGE)
        if last is not None:
            query = query.where(column > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        yield from rows
        last = getattr(rows[-1], key)


def _verify_chain(conn: sa.Connection) -> dict[str, Any]:
    old = _old_table("audit_event")
    expected, prev, problem = 1, GENESIS, None
    for row in _pages(conn, old, "seq"):
        if row.seq != expected:
            problem = f"event {expected} is missing"
        elif row.prev_hash != prev:
            problem = f"event {row.seq} does not link to its predecessor"
        elif _chain_hash(row.seq, row, prev) != row.hash:
            problem = f"event {row.seq} was changed after it was written"
        if problem:
            break
        prev, expected = row.hash, expected + 1
    head = conn.execute(sa.text("SELECT seq, hash, signature FROM audit_head WHERE id = 1")).first()
    checked = expected - 1
    signature = "not checked"
    if problem is None and head is not None:
        secret = _secret()
        if secret is not None:
            want = hmac.new(secret, f"{head.seq}:{head.hash}".encode(), hashlib.sha256).hexdigest()
            signature = "valid" if hmac.compare_digest(want, head.signature) else "invalid"
            if signature == "invalid":
                problem = "the chain head's signature is invalid"
        if problem is None and (head.seq != checked or head.hash != prev):
            problem = f"the chain ends at event {checked} but the signed head says {head.seq}"
    return {
        "old_chain_ok": problem is None,
        "old_events": checked if problem is None else None,
        "old_events_checked": checked,
        "old_head_seq": head.seq if head is not None else 0,
        "old_head_hash": head.hash if head is not None else GENESIS,
        "old_head_signature": signature,
        "problem": problem,
    }


def _create_chain_copy(name: str) -> sa.Table:
    op.create_table(
        name,
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", Moment, nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=False),
        sa.Column("target_id", sa.String(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
    )
    return _old_table(name)


def _drop_event_indexes() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_target")
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))


def _create_event_indexes() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index("ix_audit_event_target", ["target_type", "target_id"], unique=False)


def upgrade() -> None:
    conn = op.get_bind()
    seal = _verify_chain(conn)
    copy = _create_chain_copy("audit_event_chain")
    old = _old_table("audit_event")
    conn.execute(sa.insert(copy).from_select(list(old.c.keys()), sa.select(old)))
    _drop_event_indexes()
    op.drop_table("audit_event")
    op.drop_table("audit_head")

    op.create_table(
        "audit_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("occurred_at", Moment, nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=False),
        sa.Column("target_id", sa.String(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    _create_event_indexes()
    op.create_table(
        "audit_tree_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "position"),
    )
    op.create_table(
        "audit_tree_head",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("size"),
    )
    state = op.create_table(
        "audit_log_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    conn.execute(sa.insert(state).values(id=1, size=0))

    conn.execute(
        sa.insert(NEW).from_select(
            ["id", *CONTENT], sa.select(copy.c.seq, *(copy.c[name] for name in CONTENT))
        )
    )
    last = conn.scalar(sa.select(sa.func.max(copy.c.seq))) or 0
    if last == 0 and seal["old_head_seq"] == 0:
        op.drop_table("audit_event_chain")  # a new installation: no chain to seal
        return
    conn.execute(
        sa.insert(NEW).values(
            id=last + 1,
            occurred_at=datetime.now(UTC),
            actor="system:migration",
            action="audit.chain_sealed",
            target_type="audit_log",
            target_id="chain",
            details=seal,
        )
    )
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), :last)"),
            {"last": last + 1},
        )
    op.drop_table("audit_event_chain")


def downgrade() -> None:
    """Rebuild a hash chain over every event (sequenced first, then pending, by id)."""
    conn = op.get_bind()
    copy = _create_chain_copy("audit_event_chain")
    ordered = sa.select(NEW).order_by(
        sa.case((NEW.c.seq.is_(None), 1), else_=0), NEW.c.seq, NEW.c.id
    )
    prev, seq, rows = GENESIS, 0, []
    for row in conn.execute(ordered):
        seq += 1
        digest = _chain_hash(seq, row, prev)
        rows.append(
            {"seq": seq, **{n: getattr(row, n) for n in CONTENT}, "prev_hash": prev, "hash": digest}
        )
        prev = digest
        if len(rows) >= PAGE:
            conn.execute(sa.insert(copy), rows)
            rows = []
    if rows:
        conn.execute(sa.insert(copy), rows)

    op.drop_table("audit_log_state")
    op.drop_table("audit_tree_head")
    op.drop_table("audit_tree_node")
    _drop_event_indexes()
    op.drop_table("audit_event")
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", Moment, nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=False),
        sa.Column("target_id", sa.String(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("hash"),
    )
    _create_event_indexes()
    old = _old_table("audit_event")
    conn.execute(sa.insert(old).from_select(list(copy.c.keys()), sa.select(copy)))
    op.drop_table("audit_event_chain")
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    secret = _secret() or b""
    signature = hmac.new(secret, f"{seq}:{prev}".encode(), hashlib.sha256).hexdigest()
    conn.execute(sa.insert(head).values(id=1, seq=seq, hash=prev, signature=signature))
