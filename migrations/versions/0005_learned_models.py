"""Learned models: imported hiring history (self-identification apart) and model versions.

Revision ID: 0005_learned_models
Revises: 0004_scores
Create Date: 2026-11-28 16:00:00.000000

``history_demographics`` holds the optional self-identification columns of history files in a
table of their own: training and scoring read ``history_rows`` only (SECURITY.md DP-1).
``model_versions.card`` is the model card as JSON (coefficients and all); nothing is pickled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_learned_models'
down_revision: str | None = '0004_scores'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = "level IN ('junior', 'mid', 'senior')"


def upgrade() -> None:
    op.create_table('history_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_history_batches_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_batches'))
    )
    with op.batch_alter_table('history_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_history_batches_file_hash'), ['file_hash'], unique=False)

    op.create_table('history_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('hired', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.Boolean(), nullable=True),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.CheckConstraint(LEVELS, name=op.f('ck_history_rows_level')),
    sa.CheckConstraint('outcome IS NULL OR hired', name=op.f('ck_history_rows_outcome_only_hired')),
    sa.ForeignKeyConstraint(['batch_id'], ['history_batches.id'], name=op.f('fk_history_rows_batch_id_history_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_rows')),
    sa.UniqueConstraint('batch_id', 'label', name=op.f('uq_history_rows_batch_id_label'))
    )
    with op.batch_alter_table('history_rows', schema=None) as batch_op:
        batch_op.create_index('ix_history_rows_role_level', ['role', 'level'], unique=False)

    op.create_table('history_demographics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('sex', sa.String(length=64), nullable=True),
    sa.Column('race_ethnicity', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['row_id'], ['history_rows.id'], name=op.f('fk_history_demographics_row_id_history_rows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_demographics')),
    sa.UniqueConstraint('row_id', name=op.f('uq_history_demographics_row_id'))
    )

    op.create_table('model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('profile_version_id', sa.Integer(), nullable=True),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('adopted_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledgement', sa.Text(), nullable=True),
    sa.CheckConstraint(LEVELS, name=op.f('ck_model_versions_level')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_model_versions_version')),
    sa.ForeignKeyConstraint(['adopted_by_id'], ['users.id'], name=op.f('fk_model_versions_adopted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_model_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['profile_version_id'], ['profile_versions.id'], name=op.f('fk_model_versions_profile_version_id_profile_versions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('role', 'version', name=op.f('uq_model_versions_role_version'))
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_versions_role'), ['role'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_versions_role'))
    op.drop_table('model_versions')
    op.drop_table('history_demographics')
    with op.batch_alter_table('history_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_history_rows_role_level')
    op.drop_table('history_rows')
    with op.batch_alter_table('history_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_history_batches_file_hash'))
    op.drop_table('history_batches')
