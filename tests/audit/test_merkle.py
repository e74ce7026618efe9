"""RFC 9162 hashing and proofs against a direct implementation of the definitions."""

from __future__ import annotations

import hashlib

import pytest

from privacyops.audit import merkle


def mth(leaves: list[bytes]) -> bytes:
    """MTH of RFC 9162 2.1.1, written out as the recursion."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split(len(leaves))
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def stored(leaves: list[bytes]) -> merkle.Node:
    nodes: dict[tuple[int, int], bytes] = {}
    compact = merkle.CompactRange()
    for leaf in leaves:
        for level, position, digest in compact.append(leaf):
            nodes[(level, position)] = digest
    return lambda level, position: nodes[(level, position)]


LEAVES = [merkle.leaf_hash(f"event {i}".encode()) for i in range(33)]
NODE = stored(LEAVES)


def test_hashes_are_domain_separated() -> None:
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.EMPTY_ROOT.hex().startswith("e3b0c442")


@pytest.mark.parametrize("size", range(1, 34))
def test_roots_and_inclusion_proofs(size: int) -> None:
    root = merkle.root(NODE, size)
    assert root == mth(LEAVES[:size])
    for index in range(size):
        proof = merkle.inclusion_proof(NODE, index, size)
        assert len(proof) <= (size - 1).bit_length()
        assert merkle.verify_inclusion(
            index=index, size=size, leaf=LEAVES[index], proof=proof, root_hash=root
        )
        wrong_leaf = LEAVES[(index + 1) % 33]
        assert not merkle.verify_inclusion(
            index=index, size=size, leaf=wrong_leaf, proof=proof, root_hash=root
        )
        if proof:
            tampered = [*proof[:-1], b"\x00" * 32]
            assert not merkle.verify_inclusion(
                index=index, size=size, leaf=LEAVES[index], proof=tampered, root_hash=root
            )
            assert not merkle.verify_inclusion(
                index=index, size=size, leaf=LEAVES[index], proof=proof[:-1], root_hash=root
            )


@pytest.mark.parametrize("new_size", [1, 2, 3, 7, 8, 9, 16, 17, 33])
def test_consistency_proofs(new_size: int) -> None:
    new_root = mth(LEAVES[:new_size])
    for old_size in range(1, new_size + 1):
        proof = merkle.consistency_proof(NODE, old_size, new_size)
        old_root = mth(LEAVES[:old_size])
        assert merkle.verify_consistency(
            old_size=old_size, new_size=new_size, old_root=old_root, new_root=new_root, proof=proof
        )
        other = mth([merkle.leaf_hash(b"forged"), *LEAVES[1:old_size]])
        assert not merkle.verify_consistency(
            old_size=old_size, new_size=new_size, old_root=other, new_root=new_root, proof=proof
        )


def test_impossible_proof_requests_are_refused() -> None:
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(NODE, 5, 5)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(NODE, 0, 5)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(NODE, 6, 5)
