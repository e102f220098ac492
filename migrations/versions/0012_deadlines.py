"""Deadlines started by acts on a case (DOMAIN.md section 7).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 21:50:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbroles import grant_api


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deadlines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('rule_id', sa.String(length=32), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('source_type', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('owed_by_agency_id', sa.Uuid(), nullable=True),
    sa.Column('informational', sa.Boolean(), nullable=False),
    sa.Column('started_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('met_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('waived_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deadlines_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owed_by_agency_id'], ['agencies.id'], name=op.f('fk_deadlines_owed_by_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_case_id', ['case_id'], unique=False)
        batch_op.create_index('ix_deadlines_due_at_id', ['due_at', 'id'], unique=False)
        batch_op.create_index('ix_deadlines_owed_by_agency_id_due_at', ['owed_by_agency_id', 'due_at'], unique=False)
    grant_api('deadlines')


def downgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_owed_by_agency_id_due_at')
        batch_op.drop_index('ix_deadlines_due_at_id')
        batch_op.drop_index('ix_deadlines_case_id')
    op.drop_table('deadlines')
