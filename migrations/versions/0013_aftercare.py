"""Follow-up visits, rehabilitation services and an adult's consents (DOMAIN.md sections 1, 2 and 7).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbroles import grant_api


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('follow_up_visits',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('visited_by', sa.Uuid(), nullable=False),
    sa.Column('visited_by_agency_id', sa.Uuid(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('risk_level', sa.String(length=8), nullable=False),
    sa.Column('risk_factors', sa.JSON(), nullable=False),
    sa.Column('recommendation', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_follow_up_visits_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visited_by_agency_id'], ['agencies.id'], name=op.f('fk_follow_up_visits_visited_by_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_visits')),
    sa.UniqueConstraint('case_id', 'number', name='uq_follow_up_visits_case_number')
    )
    op.create_table('rehabilitation_services',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('scheme', sa.String(length=100), nullable=True),
    sa.Column('provider_agency_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('started_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_by_agency_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_rehabilitation_services_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_agency_id'], ['agencies.id'], name=op.f('fk_rehabilitation_services_provider_agency_id_agencies')),
    sa.ForeignKeyConstraint(['recorded_by_agency_id'], ['agencies.id'], name=op.f('fk_rehabilitation_services_recorded_by_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rehabilitation_services'))
    )
    with op.batch_alter_table('rehabilitation_services', schema=None) as batch_op:
        batch_op.create_index('ix_rehabilitation_services_case_id', ['case_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=True),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('valid_until', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('how_recorded', sa.String(length=200), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=True),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawal_note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_by_agency_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_consents_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_consents_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_consents_document_id_documents')),
    sa.ForeignKeyConstraint(['recorded_by_agency_id'], ['agencies.id'], name=op.f('fk_consents_recorded_by_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index('ix_consents_case_id_purpose', ['case_id', 'purpose'], unique=False)
    # A visit done is never changed: the API only adds them.
    grant_api('follow_up_visits', append_only=True)
    grant_api('rehabilitation_services')
    grant_api('consents')


def downgrade() -> None:
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_case_id_purpose')

    op.drop_table('consents')
    with op.batch_alter_table('rehabilitation_services', schema=None) as batch_op:
        batch_op.drop_index('ix_rehabilitation_services_case_id')

    op.drop_table('rehabilitation_services')
    op.drop_table('follow_up_visits')
