"""Proofs against the stored tree (RFC 9162): the nodes a proof needs are planned from the sizes
alone, fetched in one query, then the proof computed from them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger import merkle
from app.ledger.sequencer import fetch_nodes


async def computed(
    session: AsyncSession, *computations: Callable[[merkle.Nodes], object]
) -> list[object]:
    """Run each computation over the stored nodes, fetching all that they read in one query."""
    wanted: set[merkle.Node] = set()
    for compute in computations:
        wanted |= merkle.plan(compute)
    stored = await fetch_nodes(session, wanted)

    def lookup(level: int, index: int) -> bytes:
        return stored[(level, index)]

    return [compute(lookup) for compute in computations]


async def inclusion(session: AsyncSession, seq: int, size: int) -> tuple[list[bytes], bytes]:
    """(audit path of leaf ``seq`` in the tree of ``size`` leaves, that tree's root)."""
    path, root = await computed(
        session,
        lambda nodes: merkle.inclusion_proof(nodes, seq, size),
        lambda nodes: merkle.root(nodes, size),
    )
    return path, root  # type: ignore[return-value]


async def consistency(
    session: AsyncSession, first: int, second: int
) -> tuple[list[bytes], bytes, bytes]:
    """(proof that the tree of ``second`` leaves extends that of ``first``, root at ``first``,
    root at ``second``)."""
    path, first_root, second_root = await computed(
        session,
        lambda nodes: merkle.consistency_proof(nodes, first, second),
        lambda nodes: merkle.root(nodes, first),
        lambda nodes: merkle.root(nodes, second),
    )
    return path, first_root, second_root  # type: ignore[return-value]
