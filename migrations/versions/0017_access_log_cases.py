"""The cases of access-log rows that read several at once, for a case's access log.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.dbroles import grant_api


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('access_log_cases',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('access_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'access_id', name=op.f('pk_access_log_cases'))
    )
    # Part of the access log: the API may read and append, never change.
    grant_api('access_log_cases', append_only=True)


def downgrade() -> None:
    op.drop_table('access_log_cases')
