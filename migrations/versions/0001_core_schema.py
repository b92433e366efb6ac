"""Core schema: accounts, question bank, pipeline, interviews, scorecards, audit log.

Revision ID: 0001_core
Revises: 
Create Date: 2026-11-27 12:06:27.458645
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001_core'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


AUDIT_GUARD_SQLITE = [
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]
AUDIT_GUARD_POSTGRESQL = [
    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
    "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
]


def _create_guards() -> None:
    """Case-insensitive unique e-mails and the append-only audit log, on both dialects."""
    op.execute("CREATE UNIQUE INDEX uq_users_email_lower ON users (lower(email))")
    op.execute("CREATE UNIQUE INDEX uq_candidates_email_lower ON candidates (lower(email))")
    dialect = op.get_bind().dialect.name
    for statement in AUDIT_GUARD_POSTGRESQL if dialect == "postgresql" else AUDIT_GUARD_SQLITE:
        op.execute(statement)


def _drop_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    op.execute("DROP INDEX IF EXISTS uq_candidates_email_lower")
    op.execute("DROP INDEX IF EXISTS uq_users_email_lower")


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_events_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('legal_hold', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidates'))
    )
    op.create_table('competencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('technical', 'domain', 'soft')", name=op.f('ck_competencies_category')),
    sa.CheckConstraint("source IN ('file', 'app')", name=op.f('ck_competencies_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competencies')),
    sa.UniqueConstraint('key', name=op.f('uq_competencies_key'))
    )
    op.create_table('domain_packs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('file', 'app')", name=op.f('ck_domain_packs_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domain_packs')),
    sa.UniqueConstraint('key', name=op.f('uq_domain_packs_key'))
    )
    op.create_table('login_throttle',
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email_key', name=op.f('pk_login_throttle'))
    )
    op.create_table('role_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('file', 'app')", name=op.f('ck_role_profiles_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_profiles')),
    sa.UniqueConstraint('key', name=op.f('uq_role_profiles_key'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('session_token', name=op.f('uq_users_session_token'))
    )
    op.create_table('candidate_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_candidate_documents_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_candidate_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_candidate_documents_stored_name'))
    )
    op.create_table('competency_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('anchor_1', sa.Text(), nullable=False),
    sa.Column('anchor_2', sa.Text(), nullable=False),
    sa.Column('anchor_3', sa.Text(), nullable=False),
    sa.Column('anchor_4', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_competency_versions_competency_id_competencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competency_versions')),
    sa.UniqueConstraint('competency_id', 'version_no', name=op.f('uq_competency_versions_competency_id_version_no'))
    )
    op.create_table('domain_defaults',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('bar', sa.Integer(), nullable=False),
    sa.CheckConstraint("level IN ('junior', 'mid', 'senior')", name=op.f('ck_domain_defaults_level')),
    sa.CheckConstraint('bar BETWEEN 1 AND 4', name=op.f('ck_domain_defaults_bar')),
    sa.CheckConstraint('weight BETWEEN 1 AND 3', name=op.f('ck_domain_defaults_weight')),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_domain_defaults_competency_id_competencies')),
    sa.ForeignKeyConstraint(['domain_id'], ['domain_packs.id'], name=op.f('fk_domain_defaults_domain_id_domain_packs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domain_defaults')),
    sa.UniqueConstraint('domain_id', 'competency_id', 'level', name=op.f('uq_domain_defaults_domain_id_competency_id_level'))
    )
    op.create_table('profile_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('level_summaries', sa.JSON(), nullable=False),
    sa.Column('provenance', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_profile_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['profile_id'], ['role_profiles.id'], name=op.f('fk_profile_versions_profile_id_role_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_versions')),
    sa.UniqueConstraint('profile_id', 'version_no', name=op.f('uq_profile_versions_profile_id_version_no'))
    )
    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=80), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('alternate_of_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('file', 'app')", name=op.f('ck_questions_source')),
    sa.ForeignKeyConstraint(['alternate_of_id'], ['questions.id'], name=op.f('fk_questions_alternate_of_id_questions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_questions_competency_id_competencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('public_id', name=op.f('uq_questions_public_id'))
    )
    op.create_table('user_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'recruiter', 'hiring_manager', 'interviewer', 'auditor')", name=op.f('ck_user_roles_role')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_roles')),
    sa.UniqueConstraint('user_id', 'role', name=op.f('uq_user_roles_user_id_role'))
    )
    op.create_table('profile_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_version_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('bar', sa.Integer(), nullable=False),
    sa.Column('must_have', sa.Boolean(), nullable=False),
    sa.CheckConstraint("level IN ('junior', 'mid', 'senior')", name=op.f('ck_profile_entries_level')),
    sa.CheckConstraint('bar BETWEEN 1 AND 4', name=op.f('ck_profile_entries_bar')),
    sa.CheckConstraint('weight BETWEEN 1 AND 3', name=op.f('ck_profile_entries_weight')),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_profile_entries_competency_id_competencies')),
    sa.ForeignKeyConstraint(['profile_version_id'], ['profile_versions.id'], name=op.f('fk_profile_entries_profile_version_id_profile_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_entries')),
    sa.UniqueConstraint('profile_version_id', 'level', 'competency_id', name=op.f('uq_profile_entries_profile_version_id_level_competency_id'))
    )
    op.create_table('question_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('follow_ups', sa.JSON(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('red_flags', sa.JSON(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('technical', 'situational', 'behavioural', 'domain', 'work-sample')", name=op.f('ck_question_versions_kind')),
    sa.CheckConstraint('minutes BETWEEN 1 AND 240', name=op.f('ck_question_versions_minutes')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_question_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_versions_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_versions')),
    sa.UniqueConstraint('question_id', 'version_no', name=op.f('uq_question_versions_question_id_version_no'))
    )
    op.create_table('requisitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('profile_version_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('team_model', sa.String(length=16), nullable=False),
    sa.Column('hiring_manager_id', sa.Integer(), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('hide_scores', sa.Boolean(), nullable=False),
    sa.Column('uncovered_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("level IN ('junior', 'mid', 'senior')", name=op.f('ck_requisitions_level')),
    sa.CheckConstraint("status IN ('draft', 'open', 'on_hold', 'closed')", name=op.f('ck_requisitions_status')),
    sa.CheckConstraint("team_model IN ('centralized', 'decentralized', 'hybrid')", name=op.f('ck_requisitions_team_model')),
    sa.CheckConstraint("visibility IN ('after_own', 'after_panel', 'always')", name=op.f('ck_requisitions_visibility')),
    sa.CheckConstraint('headcount >= 1', name=op.f('ck_requisitions_headcount')),
    sa.CheckConstraint('retention_days >= 1', name=op.f('ck_requisitions_retention_days')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_requisitions_created_by_id_users')),
    sa.ForeignKeyConstraint(['hiring_manager_id'], ['users.id'], name=op.f('fk_requisitions_hiring_manager_id_users')),
    sa.ForeignKeyConstraint(['profile_version_id'], ['profile_versions.id'], name=op.f('fk_requisitions_profile_version_id_profile_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisitions'))
    )
    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("stage IN ('applied', 'screen', 'interviewing', 'debrief', 'offer', 'hired', 'rejected', 'withdrawn')", name=op.f('ck_applications_stage')),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_applications_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_applications_requisition_id_requisitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('candidate_id', 'requisition_id', name=op.f('uq_applications_candidate_id_requisition_id'))
    )
    op.create_table('plan_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('minutes BETWEEN 5 AND 480', name=op.f('ck_plan_steps_minutes')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_plan_steps_requisition_id_requisitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_steps'))
    )
    op.create_table('requisition_domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domain_packs.id'], name=op.f('fk_requisition_domains_domain_id_domain_packs')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_requisition_domains_requisition_id_requisitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisition_domains')),
    sa.UniqueConstraint('requisition_id', 'domain_id', name=op.f('uq_requisition_domains_requisition_id_domain_id'))
    )
    op.create_table('kit_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['step_id'], ['plan_steps.id'], name=op.f('fk_kit_versions_step_id_plan_steps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_versions')),
    sa.UniqueConstraint('step_id', 'version_no', name=op.f('uq_kit_versions_step_id_version_no'))
    )
    op.create_table('plan_step_focus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_plan_step_focus_competency_id_competencies')),
    sa.ForeignKeyConstraint(['step_id'], ['plan_steps.id'], name=op.f('fk_plan_step_focus_step_id_plan_steps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_step_focus')),
    sa.UniqueConstraint('step_id', 'competency_id', name=op.f('uq_plan_step_focus_step_id_competency_id'))
    )
    op.create_table('stage_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=16), nullable=True),
    sa.Column('to_stage', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=64), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("to_stage IN ('applied', 'screen', 'interviewing', 'debrief', 'offer', 'hired', 'rejected', 'withdrawn')", name=op.f('ck_stage_changes_to_stage')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_stage_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_stage_changes_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_changes'))
    )
    op.create_table('interviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('plan_step_id', sa.Integer(), nullable=False),
    sa.Column('kit_version_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('video_url', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f('ck_interviews_status')),
    sa.CheckConstraint('minutes BETWEEN 5 AND 480', name=op.f('ck_interviews_minutes')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_interviews_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kit_version_id'], ['kit_versions.id'], name=op.f('fk_interviews_kit_version_id_kit_versions')),
    sa.ForeignKeyConstraint(['plan_step_id'], ['plan_steps.id'], name=op.f('fk_interviews_plan_step_id_plan_steps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interviews'))
    )
    op.create_table('kit_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kit_version_id', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['kit_version_id'], ['kit_versions.id'], name=op.f('fk_kit_items_kit_version_id_kit_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'], name=op.f('fk_kit_items_question_version_id_question_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_items')),
    sa.UniqueConstraint('kit_version_id', 'question_version_id', name=op.f('uq_kit_items_kit_version_id_question_version_id'))
    )
    op.create_table('interview_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('interviewer_id', sa.Integer(), nullable=False),
    sa.Column('short_code', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_interview_assignments_interview_id_interviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interviewer_id'], ['users.id'], name=op.f('fk_interview_assignments_interviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_assignments')),
    sa.UniqueConstraint('interview_id', 'interviewer_id', name=op.f('uq_interview_assignments_interview_id_interviewer_id')),
    sa.UniqueConstraint('short_code', name=op.f('uq_interview_assignments_short_code'))
    )
    op.create_table('scorecards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('interviewer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recommendation', sa.String(length=16), nullable=True),
    sa.Column('no_decision_reason', sa.Text(), nullable=False),
    sa.Column('takeaways', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("recommendation IS NULL OR recommendation IN ('strong_no', 'no', 'yes', 'strong_yes', 'no_decision')", name=op.f('ck_scorecards_recommendation')),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_scorecards_status')),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_scorecards_interview_id_interviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interviewer_id'], ['users.id'], name=op.f('fk_scorecards_interviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecards')),
    sa.UniqueConstraint('interview_id', 'interviewer_id', name=op.f('uq_scorecards_interview_id_interviewer_id'))
    )
    op.create_table('competency_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scorecard_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('not_assessed_reason', sa.String(length=32), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.CheckConstraint("not_assessed_reason IS NULL OR not_assessed_reason IN ('not_asked_time', 'not_asked_other', 'interview_cut_short', 'conflict_of_interest')", name=op.f('ck_competency_ratings_not_assessed_reason')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 4', name=op.f('ck_competency_ratings_rating')),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_competency_ratings_competency_id_competencies')),
    sa.ForeignKeyConstraint(['scorecard_id'], ['scorecards.id'], name=op.f('fk_competency_ratings_scorecard_id_scorecards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competency_ratings')),
    sa.UniqueConstraint('scorecard_id', 'competency_id', name=op.f('uq_competency_ratings_scorecard_id_competency_id'))
    )
    op.create_table('question_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scorecard_id', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 4', name=op.f('ck_question_notes_rating')),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'], name=op.f('fk_question_notes_question_version_id_question_versions')),
    sa.ForeignKeyConstraint(['scorecard_id'], ['scorecards.id'], name=op.f('fk_question_notes_scorecard_id_scorecards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_notes')),
    sa.UniqueConstraint('scorecard_id', 'question_version_id', name=op.f('uq_question_notes_scorecard_id_question_version_id'))
    )
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table('question_notes')
    op.drop_table('competency_ratings')
    op.drop_table('scorecards')
    op.drop_table('interview_assignments')
    op.drop_table('kit_items')
    op.drop_table('interviews')
    op.drop_table('stage_changes')
    op.drop_table('plan_step_focus')
    op.drop_table('kit_versions')
    op.drop_table('requisition_domains')
    op.drop_table('plan_steps')
    op.drop_table('applications')
    op.drop_table('requisitions')
    op.drop_table('question_versions')
    op.drop_table('profile_entries')
    op.drop_table('user_roles')
    op.drop_table('questions')
    op.drop_table('profile_versions')
    op.drop_table('domain_defaults')
    op.drop_table('competency_versions')
    op.drop_table('candidate_documents')
    op.drop_table('users')
    op.drop_table('role_profiles')
    op.drop_table('login_throttle')
    op.drop_table('domain_packs')
    op.drop_table('competencies')
    op.drop_table('candidates')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_subject')
        batch_op.drop_index('ix_audit_events_at')

    op.drop_table('audit_events')
