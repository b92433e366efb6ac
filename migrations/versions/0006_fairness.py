"""Candidate notice links and voluntary self-identification, stored apart.

Revision ID: 0006_fairness
Revises: 0005_learned_models
Create Date: 2026-12-02 10:00:00.000000

``self_identifications`` is keyed by the application id (ON DELETE CASCADE: erasure takes it
along) and referenced by no other table; training and scoring never read it (SECURITY.md DP-1).
Only fixed category codes are stored (CHECK constraints), never free text. ``notice_links`` holds
the links issued to candidates for the notice page (AI-6); a new link revokes the older ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_fairness'
down_revision: str | None = '0005_learned_models'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEX = ("female", "male", "prefer_not_to_say")
RACE_ETHNICITY = ("hispanic_latino", "white", "black", "native_hawaiian_pacific_islander",
                  "asian", "american_indian_alaska_native", "two_or_more", "prefer_not_to_say")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IS NULL OR {column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.create_table('self_identifications',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('sex', sa.String(length=40), nullable=True),
    sa.Column('race_ethnicity', sa.String(length=40), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(_in('sex', SEX), name=op.f('ck_self_identifications_sex')),
    sa.CheckConstraint(_in('race_ethnicity', RACE_ETHNICITY),
                       name=op.f('ck_self_identifications_race_ethnicity')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_self_identifications_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_id', name=op.f('pk_self_identifications'))
    )

    op.create_table('notice_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_notice_links_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_notice_links_issued_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_links')),
    sa.UniqueConstraint('nonce', name=op.f('uq_notice_links_nonce'))
    )
    with op.batch_alter_table('notice_links', schema=None) as batch_op:
        batch_op.create_index('ix_notice_links_application', ['application_id', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notice_links', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_links_application')
    op.drop_table('notice_links')
    op.drop_table('self_identifications')
