"""Orders made on a case (their document), the shelter a placement order names, and stage
reports (absconded, returned, deceased).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 20:40:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbroles import grant_api


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_orders_document_id_documents'), 'documents', ['document_id'], ['id'])

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('placement_agency_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_placement_agency_id_agencies'), 'agencies', ['placement_agency_id'], ['id'])
        batch_op.create_index('ix_cases_placement_agency_id', ['placement_agency_id'], unique=False)

    op.create_table('case_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_stage', sa.String(length=24), nullable=False),
    sa.Column('to_stage', sa.String(length=24), nullable=False),
    sa.Column('reported_by', sa.Uuid(), nullable=False),
    sa.Column('reported_by_agency_id', sa.Uuid(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('occurred_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reports_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_agency_id'], ['agencies.id'], name=op.f('fk_case_reports_reported_by_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reports'))
    )
    with op.batch_alter_table('case_reports', schema=None) as batch_op:
        batch_op.create_index('ix_case_reports_case_id_occurred_at', ['case_id', 'occurred_at'], unique=False)
    grant_api('case_reports')


def downgrade() -> None:
    with op.batch_alter_table('case_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_case_reports_case_id_occurred_at')
    op.drop_table('case_reports')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_placement_agency_id')
        batch_op.drop_constraint(batch_op.f('fk_cases_placement_agency_id_agencies'), type_='foreignkey')
        batch_op.drop_column('placement_agency_id')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_orders_document_id_documents'), type_='foreignkey')
        batch_op.drop_column('document_id')
