"""Merkle tree hashing and proofs as RFC 9162 section 2.1 defines them.

Leaf hash = SHA-256(0x00 || leaf data); node hash = SHA-256(0x01 || left || right);
the tree of n leaves splits at k, the largest power of two below n. Nothing here
touches the database: ``subtree`` takes a function that returns the hash of a
complete, aligned subtree (level, index), so a caller can read those from rows,
and the verifiers need only hashes and sizes, so an auditor can run them alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

Node = Callable[[int, int], bytes]
"""(level, index) -> hash of leaves [index * 2**level, (index + 1) * 2**level)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof request that names no valid leaf or size."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree(node: Node, start: int, end: int) -> bytes:
    """MTH of leaves [start, end), start aligned as the RFC recursion aligns it."""
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return node(level, start >> level)
    k = split(size)
    return node_hash(subtree(node, start, start + k), subtree(node, start + k, end))


def root(node: Node, size: int) -> bytes:
    return subtree(node, 0, size)


def inclusion_proof(node: Node, index: int, size: int) -> list[bytes]:
    """PATH(m, D[0:n]) for leaf ``index`` in a tree of ``size`` leaves, leaf side first."""
    if size < 1 or not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(subtree(node, start + k, end))
            end = start + k
        else:
            path.append(subtree(node, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(node: Node, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(m, D[0:n]) of RFC 9162 2.1.4: the tree of old_size is a prefix of new_size's."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    proof: list[bytes] = []
    start, end, complete = 0, new_size, True
    while True:
        if old_size == end:
            if not complete:
                proof.append(subtree(node, start, end))
            break
        k = split(end - start)
        if old_size - start <= k:
            proof.append(subtree(node, start + k, end))
            end = start + k
        else:
            proof.append(subtree(node, start, start + k))
            start += k
            complete = False
    proof.reverse()
    return proof


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root an inclusion proof leads to; ProofError if malformed."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    *, index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, proof) == root_hash
    except ProofError:
        return False


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    items = list(proof)
    if old_size & (old_size - 1) == 0:
        items.insert(0, old_root)
    if not items:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = items[0]
    for c in items[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class CompactRange:
    """The right edge of a growing tree: one hash per complete subtree, largest first.

    Appending leaves one by one yields every complete node as it forms, so a
    full recomputation streams the log once and keeps O(log n) hashes.
    """

    def __init__(self) -> None:
        self.size = 0
        self.hashes: list[bytes] = []

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; returns the (level, index, hash) of every node it completes."""
        formed = [(0, self.size, leaf)]
        h, level, n = leaf, 0, self.size
        while n & 1:
            h = node_hash(self.hashes.pop(), h)
            level += 1
            n >>= 1
            formed.append((level, n, h))
        self.hashes.append(h)
        self.size += 1
        return formed

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        r = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            r = node_hash(h, r)
        return r
