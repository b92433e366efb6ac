"""Scores: stored scores, the scoring-run record, manual ranking moves, alternative process.

Revision ID: 0004_scores
Revises: 0002_render_leases
Create Date: 2026-11-28 14:00:00.000000

``scoring_runs`` is kept at least six months (SECURITY.md AI-3): a trigger refuses every UPDATE,
and a DELETE of a row whose ``keep_until`` lies in the future, on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_scores'
down_revision: str | None = '0002_render_leases'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


RUNS_GUARD_SQLITE = [
    "CREATE TRIGGER scoring_runs_no_update BEFORE UPDATE ON scoring_runs "
    "BEGIN SELECT RAISE(ABORT, 'scoring_runs is a record: rows are never changed'); END",
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), which compares as text with CURRENT_TIMESTAMP.
    "CREATE TRIGGER scoring_runs_keep BEFORE DELETE ON scoring_runs "
    "WHEN OLD.keep_until > CURRENT_TIMESTAMP "
    "BEGIN SELECT RAISE(ABORT, 'scoring_runs rows are kept until keep_until'); END",
]
RUNS_GUARD_POSTGRESQL = [
    "CREATE FUNCTION scoring_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'UPDATE' THEN "
    "RAISE EXCEPTION 'scoring_runs is a record: rows are never changed'; END IF; "
    "IF OLD.keep_until > now() THEN "
    "RAISE EXCEPTION 'scoring_runs rows are kept until keep_until'; END IF; "
    "RETURN OLD; END $$",
    "CREATE TRIGGER scoring_runs_guard BEFORE UPDATE OR DELETE ON scoring_runs "
    "FOR EACH ROW EXECUTE FUNCTION scoring_runs_guard()",
]


def upgrade() -> None:
    op.create_table('scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('mean', sa.Double(), nullable=True),
    sa.Column('bar_mean', sa.Double(), nullable=True),
    sa.Column('score_0_100', sa.Double(), nullable=True),
    sa.Column('bar_0_100', sa.Double(), nullable=True),
    sa.Column('band_lo', sa.Double(), nullable=True),
    sa.Column('band_hi', sa.Double(), nullable=True),
    sa.Column('coverage', sa.Double(), nullable=True),
    sa.Column('meets_profile', sa.Boolean(), nullable=True),
    sa.Column('must_haves', sa.JSON(), nullable=False),
    sa.Column('contributions', sa.JSON(), nullable=False),
    sa.Column('rating_spread', sa.Integer(), nullable=True),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('error_model_hash', sa.String(length=64), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('profile_version_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('scoring_version', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('ok', 'insufficient coverage', 'cannot score')", name=op.f('ck_scores_state')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_scores_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_version_id'], ['profile_versions.id'], name=op.f('fk_scores_profile_version_id_profile_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scores')),
    sa.UniqueConstraint('application_id', 'kind', name=op.f('uq_scores_application_id_kind'))
    )
    op.create_table('scoring_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('keep_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('requisition_id', sa.Integer(), nullable=True),
    sa.Column('model_kind', sa.String(length=32), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('profile_version_ids', sa.JSON(), nullable=False),
    sa.Column('library_versions', sa.JSON(), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_runs'))
    )
    with op.batch_alter_table('scoring_runs', schema=None) as batch_op:
        batch_op.create_index('ix_scoring_runs_at', ['at'], unique=False)

    op.create_table('ranking_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('from_position', sa.Integer(), nullable=False),
    sa.Column('to_position', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('order_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('to_position >= 1', name=op.f('ck_ranking_moves_to_position')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ranking_moves_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_ranking_moves_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_ranking_moves_requisition_id_requisitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_moves'))
    )
    with op.batch_alter_table('ranking_moves', schema=None) as batch_op:
        batch_op.create_index('ix_ranking_moves_requisition', ['requisition_id', 'id'], unique=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('alternative_process', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    dialect = op.get_bind().dialect.name
    for statement in RUNS_GUARD_POSTGRESQL if dialect == "postgresql" else RUNS_GUARD_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS scoring_runs_guard ON scoring_runs")
        op.execute("DROP FUNCTION IF EXISTS scoring_runs_guard()")
    else:
        op.execute("DROP TRIGGER IF EXISTS scoring_runs_no_update")
        op.execute("DROP TRIGGER IF EXISTS scoring_runs_keep")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('alternative_process')
        batch_op.drop_column('notice_at')
    with op.batch_alter_table('ranking_moves', schema=None) as batch_op:
        batch_op.drop_index('ix_ranking_moves_requisition')
    op.drop_table('ranking_moves')
    with op.batch_alter_table('scoring_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_scoring_runs_at')
    op.drop_table('scoring_runs')
    op.drop_table('scores')
