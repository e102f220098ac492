"""The sequenced log for the benchmark's data: leaves and the Merkle tree's complete subtrees built
as the seed writes its events, exactly as the sequencer would have stored them (positions in the
order the events are written), so that the export (S4) and the reads run against a log of the
data's full size. The leaf of each event is computed by the app's own code from the values as
they will be read back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.ledger.leaf import FIELDS, event_document, event_leaf_hash
from app.ledger.merkle import node_hash

LEAF_COLUMNS = ("position", "event_id", "leaf_hash", "sequenced_at")
NODE_COLUMNS = ("level", "index", "hash")


class LogBuilder:
    """Appends leaves; keeps only the right edge of the tree (one subtree per set bit of the
    size), emitting each complete subtree as a row the moment its last leaf arrives."""

    def __init__(self) -> None:
        self.size = 0
        self._edge: list[tuple[int, bytes]] = []

    def append(
        self, events: Sequence[dict[str, Any]], sequenced_at: datetime
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        leaves, nodes = [], []
        for event in events:
            position = self.size
            digest = event_leaf_hash(position, event_document(event), event["nonce"])
            leaves.append((position, event["id"], digest, sequenced_at))
            nodes.append((0, position, digest))
            level = 0
            while self._edge and self._edge[-1][0] == level:
                _, left = self._edge.pop()
                digest = node_hash(left, digest)
                level += 1
                nodes.append((level, position >> level, digest))
            self._edge.append((level, digest))
            self.size += 1
        return leaves, nodes


def history_event(row: tuple[Any, ...], columns: Sequence[str]) -> dict[str, Any]:
    """A history row as COPY writes it (JSON as text), as the database will give it back."""
    values = dict(zip(columns, row, strict=True))
    event: dict[str, Any] = {name: values.get(name) for name in (*FIELDS, "nonce")}
    for name in ("roles", "objects", "changes"):
        if isinstance(event[name], str):
            event[name] = json.loads(event[name])
    for name in ("id", "actor_id", "agency_id", "client_id", "case_id"):
        if event[name] is not None and not isinstance(event[name], uuid.UUID):
            event[name] = uuid.UUID(str(event[name]))
    return event
