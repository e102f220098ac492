"""The sequencer's queue, and the leaf at its position.

``log_pending`` holds every committed event not sequenced yet; a trigger on ``audit_events``
fills it in the event's own transaction, so the sequencer no longer looks for unsequenced events
in a time window (an event whose transaction stayed open longer than the window was never
sequenced). The leaf's bytes now include its position (``app.ledger.leaf``).

The leaf format changed before the first release, so the log is rebuilt here: as the schema
owner, with the protection lifted for this transaction, the leaves, nodes and checkpoints made
in the old format are removed and every event is queued again, to be sequenced anew in the
order it occurred.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 18:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.dbroles import grant_api
from app.ledger.protection import queue, suspended, unqueue


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LOG = ('log_leaves', 'log_nodes', 'log_checkpoints')


def _rebuild_log(dialect: str) -> None:
    lift, restore = suspended(dialect, _LOG)
    for statement in lift:
        op.execute(statement)
    for table in _LOG:
        op.execute(f'DELETE FROM {table}')
    for statement in restore:
        op.execute(statement)


def upgrade() -> None:
    op.create_table('log_pending',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_log_pending'))
    )
    # The API's role queues events (through the trigger) and the sequencer removes them.
    grant_api('log_pending')
    dialect = op.get_bind().dialect.name
    _rebuild_log(dialect)
    op.execute('INSERT INTO log_pending (event_id) SELECT id FROM audit_events')
    for statement in queue(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in unqueue(dialect):
        op.execute(statement)
    op.drop_table('log_pending')
    # Leaves of the new format mean nothing to the old sequencer: it starts the log again.
    _rebuild_log(dialect)
