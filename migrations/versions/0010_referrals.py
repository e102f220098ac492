"""Referrals: one agency asking another for a service on a case (home verification, family
tracing, shelter, counselling, medical, education, vocational training, legal aid), and the acts
that moved each.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 20:20:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbroles import grant_api


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('referrals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('referring_agency_id', sa.Uuid(), nullable=False),
    sa.Column('receiving_agency_id', sa.Uuid(), nullable=False),
    sa.Column('stage_before', sa.String(length=24), nullable=True),
    sa.Column('result_document_id', sa.Uuid(), nullable=True),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['receiving_agency_id'], ['agencies.id'], name=op.f('fk_referrals_receiving_agency_id_agencies')),
    sa.ForeignKeyConstraint(['referring_agency_id'], ['agencies.id'], name=op.f('fk_referrals_referring_agency_id_agencies')),
    sa.ForeignKeyConstraint(['result_document_id'], ['documents.id'], name=op.f('fk_referrals_result_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_accepted_receiver', ['receiving_agency_id', 'type', 'case_id'], unique=False, sqlite_where=sa.text("status = 'accepted'"), postgresql_where=sa.text("status = 'accepted'"))
        batch_op.create_index('ix_referrals_case_id', ['case_id'], unique=False)
        batch_op.create_index('ix_referrals_open_case_type_receiver', ['case_id', 'type', 'receiving_agency_id'], unique=True, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
        batch_op.create_index('ix_referrals_receiving_agency_id_updated_at', ['receiving_agency_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_referrals_referring_agency_id_updated_at', ['referring_agency_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_referrals_updated_at_id', ['updated_at', 'id'], unique=False)

    op.create_table('referral_acts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=False),
    sa.Column('actor_agency_id', sa.Uuid(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_agency_id'], ['agencies.id'], name=op.f('fk_referral_acts_actor_agency_id_agencies')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_acts_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_acts'))
    )
    with op.batch_alter_table('referral_acts', schema=None) as batch_op:
        batch_op.create_index('ix_referral_acts_referral_id_recorded_at', ['referral_id', 'recorded_at'], unique=False)

    for table in ('referrals', 'referral_acts'):
        grant_api(table)


def downgrade() -> None:
    with op.batch_alter_table('referral_acts', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_acts_referral_id_recorded_at')
    op.drop_table('referral_acts')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        for name in ('ix_referrals_updated_at_id', 'ix_referrals_referring_agency_id_updated_at',
                     'ix_referrals_receiving_agency_id_updated_at',
                     'ix_referrals_open_case_type_receiver', 'ix_referrals_case_id',
                     'ix_referrals_accepted_receiver'):
            batch_op.drop_index(name)
    op.drop_table('referrals')
