"""Compensation claims and the compensation_forum relation (DOMAIN.md sections 3 and 5): a claim
under a scheme before a legal services authority, with its amounts in paise, and the acts that
moved it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbroles import grant_api


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text('ended_at IS NULL')


def upgrade() -> None:
    op.create_table('compensation_claims',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('scheme', sa.String(length=24), nullable=False),
    sa.Column('scheme_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filed_by_agency_id', sa.Uuid(), nullable=False),
    sa.Column('forum_agency_id', sa.Uuid(), nullable=False),
    sa.Column('application_reference', sa.String(length=100), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('amount_claimed_paise', sa.BigInteger(), nullable=False),
    sa.Column('amount_awarded_paise', sa.BigInteger(), nullable=True),
    sa.Column('amount_disbursed_paise', sa.BigInteger(), nullable=False),
    sa.Column('decision_order_id', sa.Uuid(), nullable=True),
    sa.Column('applied_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('disbursed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_compensation_claims_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decision_order_id'], ['orders.id'], name=op.f('fk_compensation_claims_decision_order_id_orders')),
    sa.ForeignKeyConstraint(['filed_by_agency_id'], ['agencies.id'], name=op.f('fk_compensation_claims_filed_by_agency_id_agencies')),
    sa.ForeignKeyConstraint(['forum_agency_id'], ['agencies.id'], name=op.f('fk_compensation_claims_forum_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compensation_claims'))
    )
    with op.batch_alter_table('compensation_claims', schema=None) as batch_op:
        batch_op.create_index('ix_compensation_claims_case_id', ['case_id'], unique=False)
        batch_op.create_index('ix_compensation_claims_filed_by_agency_id_updated_at', ['filed_by_agency_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_compensation_claims_forum_agency_id_updated_at', ['forum_agency_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_compensation_claims_open_case_scheme_forum', ['case_id', 'scheme', 'scheme_name', 'forum_agency_id'], unique=True, sqlite_where=_OPEN, postgresql_where=_OPEN)
        batch_op.create_index('ix_compensation_claims_open_forum', ['forum_agency_id', 'case_id'], unique=False, sqlite_where=_OPEN, postgresql_where=_OPEN)
        batch_op.create_index('ix_compensation_claims_updated_at_id', ['updated_at', 'id'], unique=False)

    op.create_table('compensation_claim_acts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('claim_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=False),
    sa.Column('actor_agency_id', sa.Uuid(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_agency_id'], ['agencies.id'], name=op.f('fk_compensation_claim_acts_actor_agency_id_agencies')),
    sa.ForeignKeyConstraint(['claim_id'], ['compensation_claims.id'], name=op.f('fk_compensation_claim_acts_claim_id_compensation_claims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compensation_claim_acts'))
    )
    with op.batch_alter_table('compensation_claim_acts', schema=None) as batch_op:
        batch_op.create_index('ix_compensation_claim_acts_claim_id_recorded_at', ['claim_id', 'recorded_at'], unique=False)

    for table in ('compensation_claims', 'compensation_claim_acts'):
        grant_api(table)


def downgrade() -> None:
    with op.batch_alter_table('compensation_claim_acts', schema=None) as batch_op:
        batch_op.drop_index('ix_compensation_claim_acts_claim_id_recorded_at')
    op.drop_table('compensation_claim_acts')
    with op.batch_alter_table('compensation_claims', schema=None) as batch_op:
        for name in ('ix_compensation_claims_updated_at_id', 'ix_compensation_claims_open_forum',
                     'ix_compensation_claims_open_case_scheme_forum',
                     'ix_compensation_claims_forum_agency_id_updated_at',
                     'ix_compensation_claims_filed_by_agency_id_updated_at',
                     'ix_compensation_claims_case_id'):
            batch_op.drop_index(name)
    op.drop_table('compensation_claims')
