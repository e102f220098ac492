"""The interstate transfer: transfers, their acts and case-file bundles, and orders; and the
successor an agency names before it closes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:50:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbroles import grant_api


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('successor_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_agencies_successor_id_agencies'), 'agencies', ['successor_id'], ['id'])

    op.create_table('transfers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('track', sa.String(length=8), nullable=False),
    sa.Column('sending_agency_id', sa.Uuid(), nullable=False),
    sa.Column('sending_authority_id', sa.Uuid(), nullable=False),
    sa.Column('sending_state', sa.String(length=5), nullable=False),
    sa.Column('receiving_agency_id', sa.Uuid(), nullable=False),
    sa.Column('receiving_authority_id', sa.Uuid(), nullable=True),
    sa.Column('receiving_state', sa.String(length=5), nullable=False),
    sa.Column('escort_agency_id', sa.Uuid(), nullable=True),
    sa.Column('stage_before', sa.String(length=24), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('consultation_due_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escort_due_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acceptance_due_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('consultation_requested_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('consultation_answer', sa.String(length=8), nullable=True),
    sa.Column('ended_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_transfers_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['escort_agency_id'], ['agencies.id'], name=op.f('fk_transfers_escort_agency_id_agencies')),
    sa.ForeignKeyConstraint(['receiving_agency_id'], ['agencies.id'], name=op.f('fk_transfers_receiving_agency_id_agencies')),
    sa.ForeignKeyConstraint(['receiving_authority_id'], ['agencies.id'], name=op.f('fk_transfers_receiving_authority_id_agencies')),
    sa.ForeignKeyConstraint(['sending_agency_id'], ['agencies.id'], name=op.f('fk_transfers_sending_agency_id_agencies')),
    sa.ForeignKeyConstraint(['sending_authority_id'], ['agencies.id'], name=op.f('fk_transfers_sending_authority_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index('ix_transfers_case_id', ['case_id'], unique=False)
        batch_op.create_index('ix_transfers_escort_agency_id', ['escort_agency_id'], unique=False)
        batch_op.create_index('ix_transfers_open_case', ['case_id'], unique=True, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
        batch_op.create_index('ix_transfers_receiving_agency_id_updated_at', ['receiving_agency_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_transfers_receiving_authority_id_updated_at', ['receiving_authority_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_transfers_sending_agency_id_updated_at', ['sending_agency_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_transfers_sending_authority_id_updated_at', ['sending_authority_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_transfers_updated_at_id', ['updated_at', 'id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('issued_by_agency_id', sa.Uuid(), nullable=False),
    sa.Column('issuing_members', sa.JSON(), nullable=False),
    sa.Column('legal_basis', sa.String(length=200), nullable=False),
    sa.Column('form_reference', sa.String(length=60), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=True),
    sa.Column('transfer_id', sa.Uuid(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_orders_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_agency_id'], ['agencies.id'], name=op.f('fk_orders_issued_by_agency_id_agencies')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_orders_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_case_id_occurred_at', ['case_id', 'occurred_at'], unique=False)

    op.create_table('transfer_acts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('transfer_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=False),
    sa.Column('actor_agency_id', sa.Uuid(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_agency_id'], ['agencies.id'], name=op.f('fk_transfer_acts_actor_agency_id_agencies')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_acts_transfer_id_transfers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_acts'))
    )
    with op.batch_alter_table('transfer_acts', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_acts_transfer_id_recorded_at', ['transfer_id', 'recorded_at'], unique=False)

    op.create_table('transfer_documents',
    sa.Column('transfer_id', sa.Uuid(), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_transfer_documents_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_documents_transfer_id_transfers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('transfer_id', 'document_id', name=op.f('pk_transfer_documents'))
    )
    for table in ('transfers', 'orders', 'transfer_acts', 'transfer_documents'):
        grant_api(table)


def downgrade() -> None:
    op.drop_table('transfer_documents')
    with op.batch_alter_table('transfer_acts', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_acts_transfer_id_recorded_at')
    op.drop_table('transfer_acts')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_case_id_occurred_at')
    op.drop_table('orders')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        for name in ('ix_transfers_updated_at_id', 'ix_transfers_sending_authority_id_updated_at',
                     'ix_transfers_sending_agency_id_updated_at',
                     'ix_transfers_receiving_authority_id_updated_at',
                     'ix_transfers_receiving_agency_id_updated_at', 'ix_transfers_open_case',
                     'ix_transfers_escort_agency_id', 'ix_transfers_case_id'):
            batch_op.drop_index(name)
    op.drop_table('transfers')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agencies_successor_id_agencies'), type_='foreignkey')
        batch_op.drop_column('successor_id')
