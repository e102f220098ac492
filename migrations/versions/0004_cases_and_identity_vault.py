"""Rescue events, cases, assignees, the identity vault (encrypted records and blind indexes), and
the access log's list of objects a page returned.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:58:58.295284
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbroles import grant_api


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_code_sequences',
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_case_code_sequences'))
    )
    op.create_table('rescue_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=5), nullable=False),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('police_station', sa.String(length=200), nullable=True),
    sa.Column('rescue_type', sa.String(length=30), nullable=False),
    sa.Column('legal_basis', sa.String(length=200), nullable=True),
    sa.Column('fir_number', sa.String(length=60), nullable=True),
    sa.Column('gd_reference', sa.String(length=60), nullable=True),
    sa.Column('lead_agency_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_agency_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_agency_id'], ['agencies.id'], name=op.f('fk_rescue_events_created_by_agency_id_agencies')),
    sa.ForeignKeyConstraint(['lead_agency_id'], ['agencies.id'], name=op.f('fk_rescue_events_lead_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rescue_events'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('rescue_event_id', sa.Uuid(), nullable=False),
    sa.Column('track', sa.String(length=8), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('stage_before_exit', sa.String(length=24), nullable=True),
    sa.Column('owner_agency_id', sa.Uuid(), nullable=False),
    sa.Column('competent_authority_id', sa.Uuid(), nullable=True),
    sa.Column('rescue_state', sa.String(length=5), nullable=False),
    sa.Column('current_state', sa.String(length=5), nullable=True),
    sa.Column('current_district', sa.String(length=100), nullable=True),
    sa.Column('home_state', sa.String(length=5), nullable=True),
    sa.Column('home_district', sa.String(length=100), nullable=True),
    sa.Column('home_country', sa.String(length=2), nullable=False),
    sa.Column('village_tracing', sa.String(length=10), nullable=False),
    sa.Column('flag_trafficker_contact', sa.Boolean(), nullable=False),
    sa.Column('flag_family_complicity', sa.Boolean(), nullable=False),
    sa.Column('flag_possible_repeat', sa.Boolean(), nullable=False),
    sa.Column('references', sa.JSON(), nullable=False),
    sa.Column('sex', sa.String(length=32), nullable=False),
    sa.Column('age_claimed', sa.Integer(), nullable=True),
    sa.Column('age_determined', sa.Integer(), nullable=True),
    sa.Column('age_basis', sa.String(length=20), nullable=True),
    sa.Column('nationality', sa.String(length=2), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('disability', sa.String(length=200), nullable=True),
    sa.Column('interpreter_needed', sa.Boolean(), nullable=False),
    sa.Column('trafficking_context', sa.JSON(), nullable=False),
    sa.Column('placement', sa.Text(), nullable=True),
    sa.Column('opened_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closure_reason', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['competent_authority_id'], ['agencies.id'], name=op.f('fk_cases_competent_authority_id_agencies')),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agencies.id'], name=op.f('fk_cases_owner_agency_id_agencies')),
    sa.ForeignKeyConstraint(['rescue_event_id'], ['rescue_events.id'], name=op.f('fk_cases_rescue_event_id_rescue_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('code', name=op.f('uq_cases_code'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_competent_authority_id', ['competent_authority_id'], unique=False)
        batch_op.create_index('ix_cases_current_state', ['current_state'], unique=False)
        batch_op.create_index('ix_cases_home_state_stage_updated_at_id', ['home_state', 'stage', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_owner_agency_id_updated_at', ['owner_agency_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_cases_rescue_event_id', ['rescue_event_id'], unique=False)
        batch_op.create_index('ix_cases_rescue_state', ['rescue_state'], unique=False)
        batch_op.create_index('ix_cases_updated_at_id', ['updated_at', 'id'], unique=False)

    op.create_table('rescue_event_agencies',
    sa.Column('rescue_event_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_rescue_event_agencies_agency_id_agencies')),
    sa.ForeignKeyConstraint(['rescue_event_id'], ['rescue_events.id'], name=op.f('fk_rescue_event_agencies_rescue_event_id_rescue_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rescue_event_id', 'agency_id', name=op.f('pk_rescue_event_agencies'))
    )
    with op.batch_alter_table('rescue_event_agencies', schema=None) as batch_op:
        batch_op.create_index('ix_rescue_event_agencies_agency_id', ['agency_id'], unique=False)

    op.create_table('case_assignees',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('assigned_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_assignees_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_assignees_user_id_users')),
    sa.PrimaryKeyConstraint('case_id', 'user_id', name=op.f('pk_case_assignees'))
    )
    with op.batch_alter_table('case_assignees', schema=None) as batch_op:
        batch_op.create_index('ix_case_assignees_user_id', ['user_id'], unique=False)

    op.create_table('case_exploitation_types',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_exploitation_types_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'type', name=op.f('pk_case_exploitation_types'))
    )
    with op.batch_alter_table('case_exploitation_types', schema=None) as batch_op:
        batch_op.create_index('ix_case_exploitation_types_type', ['type'], unique=False)

    op.create_table('identity_blind_indexes',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_identity_blind_indexes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'kind', 'digest', name=op.f('pk_identity_blind_indexes'))
    )
    with op.batch_alter_table('identity_blind_indexes', schema=None) as batch_op:
        batch_op.create_index('ix_identity_blind_indexes_kind_digest', ['kind', 'digest'], unique=False)

    op.create_table('identity_records',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('names', sa.Text(), nullable=True),
    sa.Column('aliases', sa.Text(), nullable=True),
    sa.Column('date_of_birth', sa.Text(), nullable=True),
    sa.Column('photo_ref', sa.Text(), nullable=True),
    sa.Column('family_names', sa.Text(), nullable=True),
    sa.Column('home_address', sa.Text(), nullable=True),
    sa.Column('home_village', sa.Text(), nullable=True),
    sa.Column('present_address', sa.Text(), nullable=True),
    sa.Column('school', sa.Text(), nullable=True),
    sa.Column('phones', sa.Text(), nullable=True),
    sa.Column('id_numbers', sa.Text(), nullable=True),
    sa.Column('bank_details', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_identity_records_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_identity_records'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_ids', sa.JSON(), nullable=True))
    for table in (
        "case_code_sequences",
        "rescue_events",
        "rescue_event_agencies",
        "cases",
        "case_exploitation_types",
        "case_assignees",
        "identity_records",
        "identity_blind_indexes",
    ):
        grant_api(table)


def downgrade() -> None:
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_column('object_ids')

    op.drop_table('identity_records')
    with op.batch_alter_table('identity_blind_indexes', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_blind_indexes_kind_digest')

    op.drop_table('identity_blind_indexes')
    with op.batch_alter_table('case_exploitation_types', schema=None) as batch_op:
        batch_op.drop_index('ix_case_exploitation_types_type')

    op.drop_table('case_exploitation_types')
    with op.batch_alter_table('case_assignees', schema=None) as batch_op:
        batch_op.drop_index('ix_case_assignees_user_id')

    op.drop_table('case_assignees')
    with op.batch_alter_table('rescue_event_agencies', schema=None) as batch_op:
        batch_op.drop_index('ix_rescue_event_agencies_agency_id')

    op.drop_table('rescue_event_agencies')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_updated_at_id')
        batch_op.drop_index('ix_cases_rescue_state')
        batch_op.drop_index('ix_cases_rescue_event_id')
        batch_op.drop_index('ix_cases_owner_agency_id_updated_at')
        batch_op.drop_index('ix_cases_home_state_stage_updated_at_id')
        batch_op.drop_index('ix_cases_current_state')
        batch_op.drop_index('ix_cases_competent_authority_id')

    op.drop_table('cases')
    op.drop_table('rescue_events')
    op.drop_table('case_code_sequences')
