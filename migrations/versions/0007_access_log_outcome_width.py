"""Widen access_log.outcome for the outcomes added with cases (search, write, repeat_check).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 17:38:58.937553
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.alter_column('outcome',
               existing_type=sa.VARCHAR(length=10),
               type_=sa.String(length=20),
               existing_nullable=False)



def downgrade() -> None:
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.alter_column('outcome',
               existing_type=sa.String(length=20),
               type_=sa.VARCHAR(length=10),
               existing_nullable=False)

