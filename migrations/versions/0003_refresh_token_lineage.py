"""Refresh-token lineage: which token replaced which, and why, for reuse detection.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 16:40:50.448740
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('rotated_reason', sa.String(length=12), nullable=True))
        batch_op.create_index(batch_op.f('ix_refresh_tokens_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_refresh_tokens_parent_id_refresh_tokens'), 'refresh_tokens', ['parent_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_refresh_tokens_parent_id_refresh_tokens'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_parent_id'))
        batch_op.drop_column('rotated_reason')
        batch_op.drop_column('parent_id')

