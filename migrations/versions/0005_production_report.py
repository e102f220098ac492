"""The production report on a case: when, by whom, and the journey time excluded from 24 hours.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 17:13:28.762613
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('produced_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('producing_agency_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('journey_hours', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_producing_agency_id_agencies'), 'agencies', ['producing_agency_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_producing_agency_id_agencies'), type_='foreignkey')
        batch_op.drop_column('journey_hours')
        batch_op.drop_column('producing_agency_id')
        batch_op.drop_column('produced_at')

