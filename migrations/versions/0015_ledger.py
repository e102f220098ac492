"""The sequenced log: positions and leaf hashes of committed events, the Merkle tree's complete
subtrees, signed checkpoints; all four log tables made append-only by triggers (issue 6).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbroles import grant_api
from app.ledger.protection import APPEND_ONLY, protect, unprotect


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('log_leaves',
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('sequenced_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_log_leaves_event_id_audit_events')),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_log_leaves')),
    sa.UniqueConstraint('event_id', name=op.f('uq_log_leaves_event_id'))
    )
    op.create_table('log_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'index', name=op.f('pk_log_nodes'))
    )
    op.create_table('log_checkpoints',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('signed_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_log_checkpoints'))
    )
    for table in ('log_leaves', 'log_nodes', 'log_checkpoints'):
        grant_api(table, append_only=True)
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        for statement in protect(dialect, table):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        for statement in unprotect(dialect, table):
            op.execute(statement)
    if dialect == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS homecoming_refuse_change()')
    op.drop_table('log_checkpoints')
    op.drop_table('log_nodes')
    op.drop_table('log_leaves')
