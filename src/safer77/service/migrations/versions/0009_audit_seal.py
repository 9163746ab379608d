"""Audit rows are chained by a sealer, not by each request (issue 23): ``seq``, a row's place
in the chain, and triggers that allow one UPDATE of a row, the sealing of an unsealed one
(``seq``, ``prev_hash`` and ``hash`` set, nothing else changed). Rows chained by 0008 get their
places in id order.

Chaining inside each request needed one audit writer at a time until its commit (an advisory
lock held across the commit's disk flush): on PostgreSQL that capped audited requests at
~240 a second and undid group commit. Now a request only inserts its row.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = ("at", "user_id", "role", "action", "entity", "entity_id")

PG_SEALING = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND OLD.seq IS NULL AND OLD.prev_hash IS NULL "
    "AND NEW.hash IS NOT NULL AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL "
    "AND NEW.id = OLD.id "
    + "".join(f"AND NEW.{c} IS NOT DISTINCT FROM OLD.{c} " for c in COLUMNS)
    + "AND NEW.detail::text IS NOT DISTINCT FROM OLD.detail::text "
    "THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'audit_log is append-only'; END $$"
)
PG_PLAIN = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
)
SQLITE_SEALING = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN NOT ("
    "OLD.hash IS NULL AND OLD.seq IS NULL AND OLD.prev_hash IS NULL "
    "AND NEW.hash IS NOT NULL AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL "
    "AND NEW.id = OLD.id "
    + "".join(f"AND NEW.{c} IS OLD.{c} " for c in (*COLUMNS, "detail"))
    + ") BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)


def _sqlite_plain(verb: str) -> str:
    return (
        f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.create_index("ix_audit_log_seq", "audit_log", ["seq"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        op.execute(
            "UPDATE audit_log SET seq = o.n FROM (SELECT id, row_number() OVER (ORDER BY id) "
            "AS n FROM audit_log WHERE hash IS NOT NULL) o WHERE audit_log.id = o.id"
        )
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        op.execute(PG_SEALING)
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute(
        "UPDATE audit_log SET seq = (SELECT count(*) FROM audit_log a WHERE a.hash IS NOT NULL "
        "AND a.id <= audit_log.id) WHERE hash IS NOT NULL"
    )
    op.execute(SQLITE_SEALING)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(PG_PLAIN)
    op.drop_index("ix_audit_log_seq", table_name="audit_log")
    if postgresql:
        op.drop_column("audit_log", "seq")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("seq")
    # SQLite rebuilt the table, without its triggers: the log stays append-only
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{verb.lower()}")
        op.execute(_sqlite_plain(verb))
