"""The Merkle tree against RFC 9162's recursive definitions, computed naively from the leaves:
tree heads, inclusion and consistency proofs for every pair of sizes up to 70, their
verification, and that a changed leaf, path or size fails it."""

from __future__ import annotations

import hashlib

import pytest

from app.ledger import merkle

LEAVES = [merkle.leaf_hash(f"event {i}".encode()) for i in range(70)]


def _mth(hashes: list[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = merkle._split(len(hashes))
    return merkle.node_hash(_mth(hashes[:k]), _mth(hashes[k:]))


def _path(m: int, hashes: list[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = merkle._split(n)
    if m < k:
        return [*_path(m, hashes[:k]), _mth(hashes[k:])]
    return [*_path(m - k, hashes[k:]), _mth(hashes[:k])]


def _subproof(m: int, hashes: list[bytes], whole: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if whole else [_mth(hashes)]
    k = merkle._split(n)
    if m <= k:
        return [*_subproof(m, hashes[:k], whole), _mth(hashes[k:])]
    return [*_subproof(m - k, hashes[k:], False), _mth(hashes[:k])]


def _stored(size: int) -> dict[merkle.Node, bytes]:
    """The nodes the sequencer would have stored after ``size`` leaves."""
    stored: dict[merkle.Node, bytes] = {}
    for position in range(size):
        for level, index in merkle.completed_by(position):
            if level == 0:
                stored[(0, index)] = LEAVES[position]
            else:
                stored[(level, index)] = merkle.node_hash(
                    stored[(level - 1, 2 * index)], stored[(level - 1, 2 * index + 1)]
                )
    return stored


STORED = _stored(len(LEAVES))


def _lookup(level: int, index: int) -> bytes:
    return STORED[(level, index)]


def test_the_empty_tree_and_a_single_leaf() -> None:
    assert merkle.root(_lookup, 0) == hashlib.sha256(b"").digest()
    assert merkle.root(_lookup, 1) == LEAVES[0]


@pytest.mark.parametrize("size", range(1, 71))
def test_tree_heads_and_inclusion_proofs_match_the_definition(size: int) -> None:
    expected_root = _mth(LEAVES[:size])
    assert merkle.root(_lookup, size) == expected_root
    for index in range(size):
        path = merkle.inclusion_proof(_lookup, index, size)
        assert path == _path(index, LEAVES[:size])
        assert merkle.verify_inclusion(LEAVES[index], index, size, path, expected_root)
        other = merkle.leaf_hash(b"not this event")
        assert not merkle.verify_inclusion(other, index, size, path, expected_root)
        if size > 1:
            assert not merkle.verify_inclusion(
                LEAVES[index], (index + 1) % size, size, path, expected_root
            )


@pytest.mark.parametrize("second", range(1, 71))
def test_consistency_proofs_match_the_definition_and_verify(second: int) -> None:
    second_root = _mth(LEAVES[:second])
    for first in range(1, second + 1):
        path = merkle.consistency_proof(_lookup, first, second)
        assert path == _subproof(first, LEAVES[:second], True)
        first_root = _mth(LEAVES[:first])
        assert merkle.verify_consistency(first, second, first_root, second_root, path)
        # A tree that rewrote history: the same sizes with one earlier leaf changed.
        forged = list(LEAVES[:second])
        forged[first - 1] = merkle.leaf_hash(b"forged")
        assert not merkle.verify_consistency(first, second, first_root, _mth(forged), path)
        if path:
            bent = [bytes(32), *path[1:]]
            assert not merkle.verify_consistency(first, second, first_root, second_root, bent)


def test_a_plan_names_only_logarithmically_many_stored_nodes() -> None:
    wanted = merkle.plan(lambda nodes: merkle.root(nodes, 1_000_000))
    assert len(wanted) == bin(1_000_000).count("1")
    wanted = merkle.plan(lambda nodes: merkle.inclusion_proof(nodes, 123_456, 1_000_000))
    assert len(wanted) <= 2 * 20
    assert merkle.plan(lambda nodes: merkle.root(nodes, 64)) == {(6, 0)}


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_proof(_lookup, 5, 5)
    with pytest.raises(ValueError, match="between sizes"):
        merkle.consistency_proof(_lookup, 0, 5)
    assert not merkle.verify_consistency(6, 5, LEAVES[0], LEAVES[0], [])
