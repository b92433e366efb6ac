"""Render leases: PDF render slots shared by every worker (concurrency cap).

Revision ID: 0002_render_leases
Revises: 0003_scorecards
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_render_leases'
down_revision: str | None = '0003_scorecards'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows are created on demand by hiring.packets.pool (one per slot up to RENDER_CONCURRENCY).
    op.create_table('render_leases',
    sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('slot', name=op.f('pk_render_leases'))
    )


def downgrade() -> None:
    op.drop_table('render_leases')
