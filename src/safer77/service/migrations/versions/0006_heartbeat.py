"""Readiness heartbeat (issue 23): one row ``/health/ready`` rewrites, so readiness means a
committed write works.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "service_heartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_heartbeat")),
    )
    op.bulk_insert(table, [{"id": 1, "at": datetime(2000, 1, 1)}])


def downgrade() -> None:
    op.drop_table("service_heartbeat")
