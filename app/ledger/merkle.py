"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1: leaf and node hashes,
the tree head, inclusion and consistency proofs, and their verification.

The server never rebuilds a tree: every complete, aligned subtree (``2**level`` leaves starting at
``index * 2**level``) is hashed once, when its last leaf is sequenced, and stored. In RFC 9162's
recursive definitions every left part is such a subtree, so a tree head or a proof needs only
O(log n) stored nodes. The functions here take a ``Nodes`` lookup; ``plan`` runs the same
computation against a recorder to learn which nodes it needs, so that a caller fetches them in
one query first. Verification needs no lookup: it is what an auditor runs offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

Node = tuple[int, int]  # (level, index): leaves [index * 2**level, (index + 1) * 2**level)
Nodes = Callable[[int, int], bytes]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree(nodes: Nodes, start: int, size: int) -> bytes:
    """MTH(D[start:start + size]) for a range the recursion reaches: a complete aligned subtree
    is one stored node, anything else its complete left part and the rest."""
    if size & (size - 1) == 0:
        level = size.bit_length() - 1
        return nodes(level, start >> level)
    k = _split(size)
    return node_hash(_subtree(nodes, start, k), _subtree(nodes, start + k, size - k))


def root(nodes: Nodes, size: int) -> bytes:
    """The tree head of the first ``size`` leaves."""
    return EMPTY_ROOT if size == 0 else _subtree(nodes, 0, size)


def inclusion_proof(nodes: Nodes, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) (RFC 9162 section 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError("the leaf is not in a tree of this size")
    path: list[bytes] = []
    start = 0
    # Walk down from the root, collecting the sibling of each step; the siblings come out
    # top-down, and the proof lists them bottom-up.
    while size > 1:
        k = _split(size)
        if index < k:
            path.append(_subtree(nodes, start + k, size - k))
            size = k
        else:
            path.append(_subtree(nodes, start, k))
            start, index, size = start + k, index - k, size - k
    return path[::-1]


def consistency_proof(nodes: Nodes, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) (RFC 9162 section 2.1.4.1)."""
    if not 0 < first <= second:
        raise ValueError("a consistency proof is between sizes 0 < first <= second")
    path: list[bytes] = []
    start, m, n, whole = 0, first, second, True
    while m != n:
        k = _split(n)
        if m <= k:
            path.append(_subtree(nodes, start + k, n - k))
            n = k
        else:
            path.append(_subtree(nodes, start, k))
            start, m, n, whole = start + k, m - k, n - k, False
    if not whole:
        path.append(_subtree(nodes, start, m))
    return path[::-1]


def plan(compute: Callable[[Nodes], object]) -> set[Node]:
    """The stored nodes a computation reads (its shape depends on sizes only, never on hashes)."""
    wanted: set[Node] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return bytes(32)

    compute(record)
    return wanted


def completed_by(position: int) -> Iterable[Node]:
    """The complete aligned subtrees that leaf ``position`` (0-based) completes, lowest first:
    the leaf itself, then each parent whose right half it ends."""
    level, index = 0, position
    yield level, index
    while index & 1:
        level, index = level + 1, index >> 1
        yield level, index


# ---- verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ------------------------------------


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: list[bytes], expected_root: bytes
) -> bool:
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == expected_root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]
) -> bool:
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
