"""Offline verification of an export (``homecoming audit verify``): no database, no server, only
the export, the log's public key and, optionally, a checkpoint the auditor kept from before.

It checks, in this order, and stops at the first failure, naming the position where it can:
the checkpoint's signature (and the earlier one's) under the given key; the prefix hashes'
shape; every line's position (none missing, none out of order); every event against its leaf
hash, recomputed from the event and its position; the root of the tree rebuilt from the prefix
and the leaves against the signed root; and the consistency of the signed tree with the earlier
checkpoint. The steps are written out in the README for anyone writing their own verifier.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from app.ledger import merkle
from app.ledger.export import FORMAT
from app.ledger.leaf import canonical, commit, event_leaf_hash, leaf_document
from app.ledger.merkle import leaf_hash
from app.ledger.sequencer import frontier
from app.ledger.signing import fingerprint, verify

_PEM = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class Failed(Exception):
    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.seq = seq


@dataclass
class Outcome:
    ok: bool
    message: str
    first_bad_seq: int | None = None
    checked: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "first_bad_seq": self.first_bad_seq,
            **self.checked,
        }


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """The PEM that ``homecoming audit public-key`` prints (its fingerprint comment ignored)."""
    found = _PEM.search(data)
    if found is None:
        raise Failed("The public key file holds no PEM public key.")
    key = load_pem_public_key(found.group(0))
    if not isinstance(key, Ed25519PublicKey):
        raise Failed("The public key is not an Ed25519 key.")
    return key


def _b64(value: Any, what: str, seq: int | None = None) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Failed(f"{what} is not base64.", seq) from exc


@dataclass(frozen=True)
class SignedCheckpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    signed_at: str


def checked_checkpoint(
    document: Mapping[str, Any], key: Ed25519PublicKey, what: str
) -> SignedCheckpoint:
    """The checkpoint, once its signature verifies under ``key`` over the text rebuilt from its
    fields (the ``text`` member is not trusted): origin, size, base64 root and time, a line each."""
    try:
        origin, size = str(document["origin"]), int(document["tree_size"])
        root_b64, signed_at = str(document["root_hash"]), str(document["signed_at"])
        signature = _b64(document["signature"], f"The {what}'s signature")
    except (KeyError, TypeError, ValueError) as exc:
        raise Failed(f"The {what} is not a checkpoint.") from exc
    if document.get("key_fingerprint") not in (None, fingerprint(key)):
        raise Failed(
            f"The {what} was signed by another key (fingerprint {document['key_fingerprint']})."
        )
    text = f"{origin}\n{size}\n{root_b64}\n{signed_at}\n".encode()
    if not verify(key, text, signature):
        raise Failed(f"The {what}'s signature does not verify with this public key.")
    return SignedCheckpoint(origin, size, _b64(root_b64, f"The {what}'s root"), signed_at)


class _Tree:
    """The right edge of the tree as leaves are appended: one complete subtree per set bit of
    the size, largest first, exactly the ``frontier`` of the size."""

    def __init__(self, size: int, prefix: list[bytes]) -> None:
        self.size = size
        self.levels = [level for level, _ in frontier(size)]
        self.hashes = list(prefix)

    def append(self, leaf: bytes) -> None:
        level, digest = 0, leaf
        while self.levels and self.levels[-1] == level:
            self.levels.pop()
            digest = merkle.node_hash(self.hashes.pop(), digest)
            level += 1
        self.levels.append(level)
        self.hashes.append(digest)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return merkle.EMPTY_ROOT
        digest = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            digest = merkle.node_hash(left, digest)
        return digest


def _header(line: bytes) -> dict[str, Any]:
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise Failed("The first line is not a JSON header.") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise Failed(f"Not an export of the format {FORMAT}.")
    return header


def _prefix(header: Mapping[str, Any], first: int) -> list[bytes]:
    expected = frontier(first)
    given = header.get("prefix") or []
    shape = [(p.get("level"), p.get("index")) for p in given if isinstance(p, dict)]
    if shape != expected:
        raise Failed(f"The prefix hashes are not the subtrees covering [0, {first}).", first)
    return [_b64(p["hash"], "A prefix hash") for p in given]


def _leaf_of(seq: int, line: Mapping[str, Any]) -> bytes:
    """The leaf hash an event line makes: shown whole with its nonce, or part by part (each part
    shown with its own nonce, or withheld as its commitment)."""
    try:
        if "nonce" in line:
            return event_leaf_hash(seq, line["event"], bytes.fromhex(line["nonce"]))
        given = line["parts"]

        def commitment(part: Mapping[str, Any]) -> str:
            if "commitment" in part:
                return str(part["commitment"])
            return commit(bytes.fromhex(part["nonce"]), part["value"])

        document = leaf_document(
            seq,
            line["event"],
            commitment(given["actor"]),
            [commitment(p) for p in given["objects"]],
            [commitment(p) for p in given["changes"]],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Failed("An event line is not of this format.", seq) from exc
    return leaf_hash(canonical(document))


def verify_export(
    lines: Iterable[bytes], key: Ed25519PublicKey, earlier: Mapping[str, Any] | None = None
) -> Outcome:
    """Check an export; never raises for a bad export (the outcome says what failed)."""
    counts = {"verified_events": 0, "partly_withheld_events": 0, "withheld_events": 0}
    try:
        report = _verify(iter(lines), key, earlier, counts)
    except Failed as failure:
        return Outcome(False, failure.message, failure.seq, counts)
    return Outcome(True, report, None, counts)


def _verify(
    lines: Any, key: Ed25519PublicKey, earlier: Mapping[str, Any] | None, counts: dict[str, int]
) -> str:
    header = _header(next(lines, b""))
    first, end = int(header["from"]), int(header["to"])
    signed = checked_checkpoint(header["checkpoint"], key, "export's checkpoint")
    if signed.tree_size != end:
        raise Failed(f"The checkpoint is of {signed.tree_size} events, the export runs to {end}.")
    kept = None if earlier is None else checked_checkpoint(earlier, key, "earlier checkpoint")
    tree = _Tree(first, _prefix(header, first))
    # From the first position, the kept checkpoint's root is checked as the stream reaches it.
    check_at = kept.tree_size if kept is not None and first == 0 else None
    expected = first
    for raw in lines:
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
            seq = int(line["seq"])
            leaf = _b64(line["leaf_hash"], "A leaf hash", expected)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise Failed("A line is not an export line.", expected) from exc
        if seq != expected:
            missing = seq > expected
            raise Failed(
                "This position is missing from the log." if missing else "Positions out of order.",
                expected,
            )
        if line.get("withheld") is True:
            counts["withheld_events"] += 1
        elif line.get("event") is None:
            raise Failed("The event of this position is missing from the log.", seq)
        elif _leaf_of(seq, line) != leaf:
            raise Failed("The event does not match its leaf hash: it was changed or moved.", seq)
        else:
            counts["verified_events" if "nonce" in line else "partly_withheld_events"] += 1
        tree.append(leaf)
        expected += 1
        if tree.size == check_at and kept is not None and tree.root() != kept.root_hash:
            raise Failed(
                f"The first {check_at} events do not make the earlier checkpoint's root:"
                " their leaf hashes were rewritten."
            )
    if expected != end:
        raise Failed("The export ends early: this position and those after it are missing.", expected)
    if tree.root() != signed.root_hash:
        raise Failed("The events do not make the signed root of the checkpoint.")
    report = f"Events [{first}, {end}) make the root signed at {signed.signed_at} by this key."
    if kept is None:
        return report
    if kept.tree_size > end:
        raise Failed(
            f"The earlier checkpoint has {kept.tree_size} events and this export ends at {end}:"
            f" if the log holds no more, it lost every event from {end} on.",
            end,
        )
    proof = header.get("consistency") or {}
    if kept.tree_size == end:
        consistent = kept.root_hash == signed.root_hash
    elif proof.get("first") == kept.tree_size and proof.get("second") == end:
        path = [_b64(p, "A consistency hash") for p in proof.get("path") or []]
        consistent = merkle.verify_consistency(
            kept.tree_size, end, kept.root_hash, signed.root_hash, path
        )
    else:
        raise Failed(
            f"The export has no consistency proof from {kept.tree_size}:"
            f" ask for it with consistent_with={kept.tree_size}."
        )
    if not consistent:
        raise Failed(
            f"The log is not an extension of the earlier checkpoint of {kept.tree_size} events:"
            " events before it were changed, removed or reordered."
        )
    return report + f" The log extends the earlier checkpoint of {kept.tree_size} events."
