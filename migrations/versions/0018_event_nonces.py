"""A nonce for each audit event, from which the log commits to each part of the event (its actor,
each object, each change) separately: an export can then withhold what its reader may not see
and still prove it untouched (app.ledger.leaf). The leaf's form changed before the first release,
so the log is rebuilt: every event is queued again and sequenced anew. Events written before
this have no nonce (their parts commit with an empty one).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.ledger.protection import rebuild_log


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('nonce', sa.LargeBinary(length=16), nullable=True))
    for statement in rebuild_log(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    # The column goes; leaves made with it mean nothing without it.
    with op.batch_alter_table('audit_events', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('nonce')
    for statement in rebuild_log(dialect):
        op.execute(statement)
