"""Privacy: what survives an erasure (anonymous counters, ratings) and kept scoring inputs.

Revision ID: 0007_privacy
Revises: 0006_fairness
Create Date: 2026-12-03 09:00:00.000000

None of these tables has a foreign key or holds personal data: an erasure writes to
``retained_counts`` and ``retained_ratings`` and never has to touch them again
(SECURITY.md DP-2); ``scoring_inputs`` keeps the inputs of scores that fed a decision or an
export, so the scoring-run record re-scores exactly (AI-3).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_privacy'
down_revision: str | None = '0006_fairness'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('retained_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retained_counts')),
    sa.UniqueConstraint('requisition_id', 'metric', 'key',
                        name=op.f('uq_retained_counts_requisition_id_metric_key'))
    )
    op.create_table('retained_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('interviewer_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Double(), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retained_ratings'))
    )
    with op.batch_alter_table('retained_ratings', schema=None) as batch_op:
        batch_op.create_index('ix_retained_ratings_requisition', ['requisition_id'],
                              unique=False)
    op.create_table('scoring_inputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_kind', sa.String(length=32), nullable=False),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('keep_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_inputs')),
    sa.UniqueConstraint('model_kind', 'input_hash',
                        name=op.f('uq_scoring_inputs_model_kind_input_hash'))
    )


def downgrade() -> None:
    op.drop_table('scoring_inputs')
    with op.batch_alter_table('retained_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_retained_ratings_requisition')
    op.drop_table('retained_ratings')
    op.drop_table('retained_counts')
