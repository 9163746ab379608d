"""Unit kinds (issue 23): a unit is a police unit or a community organisation, and a user sits
only in a unit of the role's kind (detectives in police units, community users in community
organisations). Units with a block club or community members become community units; the
rest stay police units.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "units",
        sa.Column("kind", sa.String(length=16), server_default="police", nullable=False),
    )
    op.execute(
        "UPDATE units SET kind = 'community' WHERE id IN (SELECT unit_id FROM block_clubs) "
        "OR id IN (SELECT unit_id FROM users WHERE role = 'community' AND unit_id IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("kind")
