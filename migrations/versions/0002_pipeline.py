"""Pipeline: frozen kit focus, CSV import batches, the e-mail outbox, plan step versions.

Revision ID: 0002_pipeline
Revises: 0001_core
Create Date: 2026-11-27 12:14:53.064930
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_pipeline'
down_revision: str | None = '0001_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_batches_created_by_id_users')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_import_batches_requisition_id_requisitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches')),
    sa.UniqueConstraint('requisition_id', 'file_hash', name=op.f('uq_import_batches_requisition_id_file_hash'))
    )
    op.create_table('kit_version_focus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kit_version_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_kit_version_focus_competency_id_competencies')),
    sa.ForeignKeyConstraint(['kit_version_id'], ['kit_versions.id'], name=op.f('fk_kit_version_focus_kit_version_id_kit_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_version_focus')),
    sa.UniqueConstraint('kit_version_id', 'competency_id', name=op.f('uq_kit_version_focus_kit_version_id_competency_id'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_user_id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('ics', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_outbox_messages_interview_id_interviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_outbox_messages_to_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_applications_import_batch_id_import_batches'), 'import_batches', ['import_batch_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('plan_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('plan_steps', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_applications_import_batch_id_import_batches'), type_='foreignkey')
        batch_op.drop_column('import_batch_id')

    op.drop_table('outbox_messages')
    op.drop_table('kit_version_focus')
    op.drop_table('import_batches')
