"""initial schema: the whole domain

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 20:23:05.481253
"""
from alembic import op
import sqlalchemy as sa

import referral.core.columns


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.Column('public_key_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoints_seq'), ['seq'], unique=False)

    op.create_table('audit_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Uuid(), nullable=True),
    sa.Column('actor_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('rule', sa.String(length=80), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.CheckConstraint("outcome IN ('allowed', 'denied')", name=op.f('ck_audit_events_outcome_valid')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_action_seq', ['action', 'seq'], unique=False)
        batch_op.create_index('ix_audit_events_actor_seq', ['actor_user_id', 'seq'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_events_case_seq', ['case_id', 'seq'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('data_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('master_key_id', sa.String(length=40), nullable=True),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('destroyed_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_keys'))
    )
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_keys_master_key_id'), ['master_key_id'], unique=False)

    op.create_table('job_locks',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=True),
    sa.Column('locked_until', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_locks'))
    )
    op.create_table('livcs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('review_interval_days', sa.Integer(), nullable=False),
    sa.Column('retention_years', sa.Integer(), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('retention_years BETWEEN 1 AND 30', name=op.f('ck_livcs_retention_range')),
    sa.CheckConstraint('review_interval_days BETWEEN 7 AND 366', name=op.f('ck_livcs_review_interval_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_livcs')),
    sa.UniqueConstraint('name', name=op.f('uq_livcs_name'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('caw', 'justice_centre', 'vdab', 'youth_welfare', 'education', 'mental_health', 'municipality', 'police', 'prison', 'other')", name=op.f('ck_organisations_kind_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['delivered_at', 'next_attempt_at'], unique=False)

    op.create_table('subjects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('pseudonym', sa.String(length=40), nullable=False),
    sa.Column('identity_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subjects'))
    )
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subjects_pseudonym'), ['pseudonym'], unique=False)

    op.create_table('livc_municipalities',
    sa.Column('livc_id', sa.Uuid(), nullable=False),
    sa.Column('nis_code', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['livc_id'], ['livcs.id'], name=op.f('fk_livc_municipalities_livc_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('livc_id', 'nis_code', name=op.f('pk_livc_municipalities'))
    )
    op.create_table('reference_counters',
    sa.Column('livc_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['livc_id'], ['livcs.id'], name=op.f('fk_reference_counters_livc_id')),
    sa.PrimaryKeyConstraint('livc_id', 'year', name=op.f('pk_reference_counters'))
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('security_clearance', sa.String(length=20), nullable=False),
    sa.Column('mfa_required', sa.Boolean(), nullable=False),
    sa.Column('totp_secret_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('mfa_enrolled_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("security_clearance IN ('none', 'confidential', 'secret', 'top_secret')", name=op.f('ck_users_security_clearance_valid')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('livc_id', sa.Uuid(), nullable=False),
    sa.Column('owner_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('coordinator_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('coordinator_user_id', sa.Uuid(), nullable=True),
    sa.Column('pathway', sa.String(length=40), nullable=False),
    sa.Column('pathway_version', sa.Integer(), nullable=False),
    sa.Column('suspended_from', sa.String(length=40), nullable=True),
    sa.Column('context', sa.String(length=30), nullable=False),
    sa.Column('phase', sa.String(length=30), nullable=True),
    sa.Column('municipality_nis', sa.String(length=5), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=False),
    sa.Column('is_minor', sa.Boolean(), nullable=False),
    sa.Column('informing_status', sa.String(length=20), nullable=True),
    sa.Column('informing_ground', sa.String(length=300), nullable=True),
    sa.Column('informed_party', sa.String(length=20), nullable=True),
    sa.Column('consent', sa.String(length=10), nullable=False),
    sa.Column('screening_due', sa.Date(), nullable=True),
    sa.Column('next_review_due', sa.Date(), nullable=True),
    sa.Column('opened_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=500), nullable=True),
    sa.Column('retention_until', sa.Date(), nullable=True),
    sa.Column('legal_hold', sa.Boolean(), nullable=False),
    sa.Column('legal_hold_reason', sa.String(length=500), nullable=True),
    sa.Column('purged_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.CheckConstraint("(pathway = 'disengagement' AND pathway_version = 1 AND state IN ('signalled', 'screening', 'internal_follow_up', 'proposed', 'guidance', 'aftercare', 'suspended', 'closed'))", name=op.f('ck_cases_state_in_pathway')),
    sa.CheckConstraint("consent IN ('given', 'refused', 'unknown')", name=op.f('ck_cases_consent_valid')),
    sa.CheckConstraint("context IN ('community', 'detention', 'after_detention', 'youth_facility')", name=op.f('ck_cases_context_valid')),
    sa.CheckConstraint("informed_party IS NULL OR informed_party IN ('subject', 'guardian')", name=op.f('ck_cases_informed_party_valid')),
    sa.CheckConstraint("informing_status IS NULL OR informing_status <> 'not_informed' OR informing_ground IS NOT NULL", name=op.f('ck_cases_not_informed_needs_ground')),
    sa.CheckConstraint("informing_status IS NULL OR informing_status IN ('informed', 'not_informed')", name=op.f('ck_cases_informing_status_valid')),
    sa.CheckConstraint("phase IS NULL OR phase IN ('sensitivity', 'group_membership', 'action_preparation', 'action', 'unknown')", name=op.f('ck_cases_phase_valid')),
    sa.CheckConstraint("purged_at IS NULL OR state = 'closed'", name=op.f('ck_cases_purged_only_closed')),
    sa.CheckConstraint("state <> 'closed' OR (closed_at IS NOT NULL AND outcome IS NOT NULL)", name=op.f('ck_cases_closed_needs_outcome')),
    sa.CheckConstraint("state NOT IN ('guidance', 'aftercare') OR coordinator_organisation_id IS NOT NULL", name=op.f('ck_cases_guidance_needs_coordinator')),
    sa.ForeignKeyConstraint(['coordinator_organisation_id'], ['organisations.id'], name=op.f('fk_cases_coordinator_organisation_id')),
    sa.ForeignKeyConstraint(['coordinator_user_id'], ['users.id'], name=op.f('fk_cases_coordinator_user_id')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_cases_created_by_user_id')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_cases_data_key_id')),
    sa.ForeignKeyConstraint(['livc_id'], ['livcs.id'], name=op.f('fk_cases_livc_id')),
    sa.ForeignKeyConstraint(['owner_organisation_id'], ['organisations.id'], name=op.f('fk_cases_owner_organisation_id')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_cases_subject_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference')),
    sa.UniqueConstraint('subject_id', name=op.f('uq_cases_subject_id'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_coordinator_organisation_id'), ['coordinator_organisation_id'], unique=False)
        batch_op.create_index('ix_cases_livc_state', ['livc_id', 'state'], unique=False)
        batch_op.create_index('ix_cases_next_review_due', ['next_review_due'], unique=False)
        batch_op.create_index('ix_cases_owner_state', ['owner_organisation_id', 'state'], unique=False)

    op.create_table('livc_members',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('livc_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('invited_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('invited_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_user_id'], ['users.id'], name=op.f('fk_livc_members_invited_by_user_id')),
    sa.ForeignKeyConstraint(['livc_id'], ['livcs.id'], name=op.f('fk_livc_members_livc_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_livc_members_organisation_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_livc_members')),
    sa.UniqueConstraint('livc_id', 'organisation_id', name='livc_member_once')
    )
    op.create_table('meetings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('livc_id', sa.Uuid(), nullable=False),
    sa.Column('scheduled_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('pathway', sa.String(length=40), nullable=False),
    sa.Column('pathway_version', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('minutes_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('minutes_drafted_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('minutes_approved_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('minutes_approved_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.CheckConstraint("(pathway = 'meeting' AND pathway_version = 1 AND state IN ('planned', 'in_session', 'held', 'minutes_approved', 'cancelled'))", name=op.f('ck_meetings_state_in_pathway')),
    sa.CheckConstraint("state <> 'minutes_approved' OR minutes_approved_at IS NOT NULL", name=op.f('ck_meetings_approved_minutes_recorded')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_meetings_created_by_user_id')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_meetings_data_key_id')),
    sa.ForeignKeyConstraint(['livc_id'], ['livcs.id'], name=op.f('fk_meetings_livc_id')),
    sa.ForeignKeyConstraint(['minutes_approved_by_user_id'], ['users.id'], name=op.f('fk_meetings_minutes_approved_by_user_id')),
    sa.ForeignKeyConstraint(['minutes_drafted_by_user_id'], ['users.id'], name=op.f('fk_meetings_minutes_drafted_by_user_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_livc_id'), ['livc_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('used_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    op.create_table('role_assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('livc_id', sa.Uuid(), nullable=True),
    sa.Column('granted_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role IN ('livc_chair', 'livc_coordinator', 'livc_member', 'police_information_officer')) = (livc_id IS NOT NULL)", name=op.f('ck_role_assignments_livc_scope')),
    sa.CheckConstraint("role IN ('reference_person', 'case_worker', 'livc_chair', 'livc_coordinator', 'livc_member', 'police_information_officer', 'auditor', 'dpo', 'admin')", name=op.f('ck_role_assignments_role_valid')),
    sa.ForeignKeyConstraint(['livc_id'], ['livcs.id'], name=op.f('fk_role_assignments_livc_id')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_assignments_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignments')),
    sa.UniqueConstraint('user_id', 'role', 'livc_id', name='role_once')
    )
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_assignments_livc_id'), ['livc_id'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('mfa_verified_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('ended_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_user_sessions_user_open', ['user_id', 'ended_at'], unique=False)

    op.create_table('agenda_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('added_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('new', 'review', 'urgent')", name=op.f('ck_agenda_items_reason_valid')),
    sa.ForeignKeyConstraint(['added_by_user_id'], ['users.id'], name=op.f('fk_agenda_items_added_by_user_id')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_agenda_items_case_id')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_agenda_items_meeting_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items')),
    sa.UniqueConstraint('meeting_id', 'case_id', name='case_once_per_meeting')
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_case_id'), ['case_id'], unique=False)

    op.create_table('break_glass',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_break_glass_case_id')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_break_glass_organisation_id')),
    sa.ForeignKeyConstraint(['reviewed_by_user_id'], ['users.id'], name=op.f('fk_break_glass_reviewed_by_user_id')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_break_glass_user_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass'))
    )
    with op.batch_alter_table('break_glass', schema=None) as batch_op:
        batch_op.create_index('ix_break_glass_user_case', ['user_id', 'case_id', 'expires_at'], unique=False)

    op.create_table('case_matches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('other_case_id', sa.Uuid(), nullable=False),
    sa.Column('detected_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_matches_case_id')),
    sa.ForeignKeyConstraint(['other_case_id'], ['cases.id'], name=op.f('fk_case_matches_other_case_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_matches')),
    sa.UniqueConstraint('case_id', 'other_case_id', name='match_once')
    )
    with op.batch_alter_table('case_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_matches_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_matches_other_case_id'), ['other_case_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('text_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('coordinator_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('decided_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('decided_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision <> 'start_programme' OR coordinator_organisation_id IS NOT NULL", name=op.f('ck_decisions_programme_needs_coordinator')),
    sa.CheckConstraint("decision IN ('start_programme', 'continue', 'adjust', 'refer', 'step_down', 'close', 'no_livc_case')", name=op.f('ck_decisions_decision_valid')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_decisions_case_id')),
    sa.ForeignKeyConstraint(['coordinator_organisation_id'], ['organisations.id'], name=op.f('fk_decisions_coordinator_organisation_id')),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_decisions_decided_by_user_id')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_decisions_meeting_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('feedback_sheets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('text_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('drafted_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state <> 'issued' OR issued_at IS NOT NULL", name=op.f('ck_feedback_sheets_issued_recorded')),
    sa.CheckConstraint("state IN ('draft', 'issued')", name=op.f('ck_feedback_sheets_state_valid')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_feedback_sheets_case_id')),
    sa.ForeignKeyConstraint(['drafted_by_user_id'], ['users.id'], name=op.f('fk_feedback_sheets_drafted_by_user_id')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_feedback_sheets_meeting_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_sheets')),
    sa.UniqueConstraint('meeting_id', 'case_id', name='sheet_once_per_case')
    )
    with op.batch_alter_table('feedback_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_sheets_case_id'), ['case_id'], unique=False)

    op.create_table('meeting_attendees',
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('added_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_attendees_meeting_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_attendees_user_id')),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_meeting_attendees'))
    )
    op.create_table('notes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('author_user_id', sa.Uuid(), nullable=False),
    sa.Column('author_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('compartment', sa.String(length=20), nullable=False),
    sa.Column('body_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("compartment IN ('internal', 'police')", name=op.f('ck_notes_compartment_valid')),
    sa.ForeignKeyConstraint(['author_organisation_id'], ['organisations.id'], name=op.f('fk_notes_author_organisation_id')),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_notes_author_user_id')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notes_case_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index('ix_notes_case_org', ['case_id', 'author_organisation_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('from_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('from_user_id', sa.Uuid(), nullable=False),
    sa.Column('to_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('to_user_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sphere_of_life', sa.String(length=40), nullable=True),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('legal_basis', sa.String(length=300), nullable=True),
    sa.Column('pathway', sa.String(length=40), nullable=False),
    sa.Column('pathway_version', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=500), nullable=True),
    sa.Column('meeting_id', sa.Uuid(), nullable=True),
    sa.Column('offered_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.CheckConstraint("(pathway = 'referral' AND pathway_version = 1 AND state IN ('offered', 'accepted', 'declined', 'withdrawn', 'expired', 'active', 'completed', 'ended'))", name=op.f('ck_referrals_state_in_pathway')),
    sa.CheckConstraint("kind IN ('service', 'coordination')", name=op.f('ck_referrals_kind_valid')),
    sa.CheckConstraint("sphere_of_life IS NULL OR sphere_of_life IN ('psycho_social', 'training_employment', 'mental_health_addiction', 'trauma', 'social_context', 'alternative_discourse', 'judicial_follow_up')", name=op.f('ck_referrals_sphere_of_life_valid')),
    sa.CheckConstraint("state <> 'completed' OR outcome IS NOT NULL", name=op.f('ck_referrals_completed_needs_outcome')),
    sa.CheckConstraint("state <> 'declined' OR reason IS NOT NULL", name=op.f('ck_referrals_declined_needs_reason')),
    sa.CheckConstraint('from_organisation_id <> to_organisation_id', name=op.f('ck_referrals_not_to_self')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id')),
    sa.ForeignKeyConstraint(['from_organisation_id'], ['organisations.id'], name=op.f('fk_referrals_from_organisation_id')),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_referrals_from_user_id')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_referrals_meeting_id')),
    sa.ForeignKeyConstraint(['to_organisation_id'], ['organisations.id'], name=op.f('fk_referrals_to_organisation_id')),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_referrals_to_user_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_case_state', ['case_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index('ix_referrals_from_state', ['from_organisation_id', 'state'], unique=False)
        batch_op.create_index('ix_referrals_to_state', ['to_organisation_id', 'state'], unique=False)

    op.create_table('secrecy_acknowledgements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('wording_version', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_secrecy_acknowledgements_meeting_id')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_secrecy_acknowledgements_user_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_secrecy_acknowledgements')),
    sa.UniqueConstraint('meeting_id', 'user_id', name='acknowledge_once')
    )
    op.create_table('transition_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('object_type', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('pathway', sa.String(length=40), nullable=False),
    sa.Column('pathway_version', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=60), nullable=False),
    sa.Column('from_state', sa.String(length=40), nullable=True),
    sa.Column('to_state', sa.String(length=40), nullable=False),
    sa.Column('actor_user_id', sa.Uuid(), nullable=True),
    sa.Column('actor_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('meeting_id', sa.Uuid(), nullable=True),
    sa.Column('decision_id', sa.Uuid(), nullable=True),
    sa.Column('at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("object_type IN ('case', 'referral', 'meeting', 'partner_pathway')", name=op.f('ck_transition_history_object_type_valid')),
    sa.ForeignKeyConstraint(['actor_organisation_id'], ['organisations.id'], name=op.f('fk_transition_history_actor_organisation_id')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_transition_history_actor_user_id')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_transition_history_case_id')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_transition_history_meeting_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transition_history'))
    )
    with op.batch_alter_table('transition_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transition_history_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_transition_history_object', ['object_type', 'object_id'], unique=False)

    op.create_table('actions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('decision_id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('done_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_actions_case_id')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_actions_decision_id')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_actions_meeting_id')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_actions_organisation_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions'))
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('break_glass_reviews',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('break_glass_id', sa.Uuid(), nullable=False),
    sa.Column('reviewer_user_id', sa.Uuid(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('reviewed_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['break_glass_id'], ['break_glass.id'], name=op.f('fk_break_glass_reviews_break_glass_id')),
    sa.ForeignKeyConstraint(['reviewer_user_id'], ['users.id'], name=op.f('fk_break_glass_reviews_reviewer_user_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass_reviews'))
    )
    op.create_table('disclosures',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('note_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('legal_basis', sa.String(length=300), nullable=False),
    sa.Column('disclosed_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('disclosed_by_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', referral.core.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("audience IN ('case_team', 'livc')", name=op.f('ck_disclosures_audience_valid')),
    sa.CheckConstraint('(revoked_at IS NULL) = (revoked_by_user_id IS NULL)', name=op.f('ck_disclosures_revocation_recorded')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_disclosures_case_id')),
    sa.ForeignKeyConstraint(['disclosed_by_organisation_id'], ['organisations.id'], name=op.f('fk_disclosures_disclosed_by_organisation_id')),
    sa.ForeignKeyConstraint(['disclosed_by_user_id'], ['users.id'], name=op.f('fk_disclosures_disclosed_by_user_id')),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_disclosures_note_id')),
    sa.ForeignKeyConstraint(['revoked_by_user_id'], ['users.id'], name=op.f('fk_disclosures_revoked_by_user_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures'))
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index('ix_disclosures_case_audience', ['case_id', 'audience', 'revoked_at'], unique=False)
        batch_op.create_index('ix_disclosures_note_open', ['note_id', 'revoked_at'], unique=False)

    op.create_table('feedback_approvals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sheet_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('approved_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sheet_id'], ['feedback_sheets.id'], name=op.f('fk_feedback_approvals_sheet_id')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feedback_approvals_user_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_approvals')),
    sa.UniqueConstraint('sheet_id', 'user_id', name='approve_once')
    )
    op.create_table('partner_pathways',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('pathway', sa.String(length=40), nullable=False),
    sa.Column('pathway_version', sa.Integer(), nullable=False),
    sa.Column('started_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', referral.core.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.CheckConstraint("(pathway = 'caw_psycho_social' AND pathway_version = 1 AND state IN ('intake', 'plan', 'guidance', 'closure')) OR (pathway = 'detention' AND pathway_version = 1 AND state IN ('in_detention', 'release_preparation', 'released')) OR (pathway = 'generic_service' AND pathway_version = 1 AND state IN ('started', 'in_progress', 'finished')) OR (pathway = 'justice_follow_up' AND pathway_version = 1 AND state IN ('conditions_registered', 'supervision', 'report_due', 'ended', 'violation_reported')) OR (pathway = 'vdab_employment' AND pathway_version = 1 AND state IN ('intake', 'job_target', 'competences', 'job_search', 'placed', 'follow_up', 'finished', 'dropped_out'))", name=op.f('ck_partner_pathways_state_in_pathway')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_partner_pathways_case_id')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_partner_pathways_organisation_id')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_partner_pathways_referral_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_pathways')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_partner_pathways_referral_id'))
    )
    with op.batch_alter_table('partner_pathways', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_pathways_case_id'), ['case_id'], unique=False)


    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)")
               .bindparams(sa.bindparam("genesis", bytes(32), type_=sa.LargeBinary)))
    _append_only_triggers()


APPEND_ONLY = ("audit_events", "audit_checkpoints")


def _append_only_triggers() -> None:
    """The audit tables accept INSERT only, whoever the caller is."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% on % is not allowed: the audit trail is append-only',
                    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$""")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION reject_audit_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_change()")
    else:
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{verb} on {table} is not allowed: "
                           f"the audit trail is append-only'); END")


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS reject_audit_change()")
    else:
        for table in APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")

def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table('partner_pathways', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_pathways_case_id'))

    op.drop_table('partner_pathways')
    op.drop_table('feedback_approvals')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index('ix_disclosures_note_open')
        batch_op.drop_index('ix_disclosures_case_audience')

    op.drop_table('disclosures')
    op.drop_table('break_glass_reviews')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actions_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_actions_case_id'))

    op.drop_table('actions')
    with op.batch_alter_table('transition_history', schema=None) as batch_op:
        batch_op.drop_index('ix_transition_history_object')
        batch_op.drop_index(batch_op.f('ix_transition_history_case_id'))

    op.drop_table('transition_history')
    op.drop_table('secrecy_acknowledgements')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_to_state')
        batch_op.drop_index('ix_referrals_from_state')
        batch_op.drop_index(batch_op.f('ix_referrals_expires_at'))
        batch_op.drop_index('ix_referrals_case_state')

    op.drop_table('referrals')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index('ix_notes_case_org')

    op.drop_table('notes')
    op.drop_table('meeting_attendees')
    with op.batch_alter_table('feedback_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_sheets_case_id'))

    op.drop_table('feedback_sheets')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_decisions_case_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('case_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_matches_other_case_id'))
        batch_op.drop_index(batch_op.f('ix_case_matches_case_id'))

    op.drop_table('case_matches')
    with op.batch_alter_table('break_glass', schema=None) as batch_op:
        batch_op.drop_index('ix_break_glass_user_case')

    op.drop_table('break_glass')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_case_id'))

    op.drop_table('agenda_items')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_user_sessions_user_open')

    op.drop_table('user_sessions')
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_assignments_livc_id'))

    op.drop_table('role_assignments')
    op.drop_table('recovery_codes')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')

    op.drop_table('notifications')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_livc_id'))

    op.drop_table('meetings')
    op.drop_table('livc_members')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_owner_state')
        batch_op.drop_index('ix_cases_next_review_due')
        batch_op.drop_index('ix_cases_livc_state')
        batch_op.drop_index(batch_op.f('ix_cases_coordinator_organisation_id'))

    op.drop_table('cases')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('reference_counters')
    op.drop_table('livc_municipalities')
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subjects_pseudonym'))

    op.drop_table('subjects')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    op.drop_table('organisations')
    op.drop_table('livcs')
    op.drop_table('job_locks')
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_keys_master_key_id'))

    op.drop_table('data_keys')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_case_seq')
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index('ix_audit_events_actor_seq')
        batch_op.drop_index('ix_audit_events_action_seq')

    op.drop_table('audit_events')
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoints_seq'))

    op.drop_table('audit_checkpoints')
