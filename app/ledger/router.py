"""The log's public face for auditors: the latest signed checkpoint (or one signed now), and
inclusion and consistency proofs (RFC 9162) against any tree size the log has reached. Hashes
only: no event content, so no field set applies; the auditor's view of events is
``GET /v1/audit/events``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.guard import GuardedRoute, require
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.deps import RuntimeDep, Session, WriteSession
from app.errors import Problem, invalid_field
from app.ledger import proofs
from app.ledger.export import b64, checkpoint_document
from app.ledger.models import MAX_POSITION, Checkpoint, LogLeaf
from app.ledger.sequencer import latest_checkpoint, make_checkpoint, tree_size

router = APIRouter(tags=["audit"], route_class=GuardedRoute)
Auditor = Annotated[Principal, require(Permission.AUDIT_READ)]


class CheckpointRead(BaseModel):
    origin: str
    tree_size: int
    root_hash: str = Field(description="Base64 (standard alphabet).")
    signed_at: str
    key_fingerprint: str = Field(description="SHA-256 of the raw Ed25519 public key, hex.")
    signature: str = Field(description="Ed25519 over `text`, base64.")
    text: str = Field(description="What is signed: origin, size, root, time, one per line.")


def checkpoint_read(checkpoint: Checkpoint) -> CheckpointRead:
    return CheckpointRead(**checkpoint_document(checkpoint))


class ProofRead(BaseModel):
    tree_size: int
    root_hash: str
    path: list[str] = Field(description="The proof's hashes, base64, in RFC 9162 order.")


class InclusionRead(ProofRead):
    seq: int
    leaf_hash: str


class ConsistencyRead(ProofRead):
    first: int
    first_root_hash: str


@router.get("/v1/audit/checkpoint", operation_id="audit-checkpoint", response_model=CheckpointRead)
async def checkpoint(
    runtime: RuntimeDep, session: WriteSession, principal: Auditor, fresh: bool = False
) -> CheckpointRead:
    """The latest signed checkpoint; with `fresh=true`, one signed now over everything sequenced
    (the same one again if the log has not grown)."""
    found = (
        await make_checkpoint(session, runtime.log_signer, runtime.settings.log_origin, runtime.now())
        if fresh
        else await latest_checkpoint(session)
    )
    if found is None:
        raise Problem(404, "The log has no checkpoint yet.")
    return checkpoint_read(found)


async def _bounded(session: AsyncSession, size: int) -> int:
    current = await tree_size(session)
    if size > current:
        raise invalid_field(
            "tree_size", "beyond_log", f"The log has {current} sequenced events.", where="query"
        )
    return current


@router.get("/v1/audit/proofs/inclusion", operation_id="audit-inclusion", response_model=InclusionRead)
async def inclusion(
    session: Session,
    principal: Auditor,
    seq: Annotated[int, Query(ge=0, le=MAX_POSITION, description="The event's position.")],
    tree_size: Annotated[int, Query(ge=1, le=MAX_POSITION)],
) -> InclusionRead:
    """The audit path of event `seq` in the tree of `tree_size` events."""
    if seq >= tree_size:
        raise invalid_field("seq", "outside_tree", "seq is a position within tree_size.", where="query")
    await _bounded(session, tree_size)
    leaf = (await session.execute(select(LogLeaf.leaf_hash).where(LogLeaf.position == seq))).scalar_one()
    path, root_hash = await proofs.inclusion(session, seq, tree_size)
    return InclusionRead(
        seq=seq,
        tree_size=tree_size,
        leaf_hash=b64(leaf),
        root_hash=b64(root_hash),
        path=[b64(p) for p in path],
    )


@router.get(
    "/v1/audit/proofs/consistency", operation_id="audit-consistency", response_model=ConsistencyRead
)
async def consistency(
    session: Session,
    principal: Auditor,
    first: Annotated[int, Query(ge=1, le=MAX_POSITION)],
    second: Annotated[int, Query(ge=1, le=MAX_POSITION)],
) -> ConsistencyRead:
    """The proof that the tree of `second` events extends the tree of `first`."""
    if first > second:
        raise invalid_field("first", "after_second", "first is at most second.", where="query")
    await _bounded(session, second)
    path, first_root, root_hash = await proofs.consistency(session, first, second)
    return ConsistencyRead(
        first=first,
        tree_size=second,
        first_root_hash=b64(first_root),
        root_hash=b64(root_hash),
        path=[b64(p) for p in path],
    )
