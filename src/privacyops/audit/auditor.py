"""Checks an auditor runs with no database: a proof, a tree head and a public key.

Everything comes from JSON documents (``privacyops audit proof --json``,
``consistency --json``, ``export-head``); this module imports no table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from privacyops.audit import heads, merkle, signing


class AuditorError(ValueError):
    """The proof or head does not hold; the message says why."""


def _hashes(values: Any, name: str) -> list[bytes]:
    if not isinstance(values, list):
        raise AuditorError(f"{name} must be a list of hex hashes")
    try:
        out = [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError):
        raise AuditorError(f"{name} must be a list of hex hashes") from None
    if any(len(h) != 32 for h in out):
        raise AuditorError(f"{name} must hold 32-byte hashes")
    return out


def _int(document: Mapping[str, Any], name: str) -> int:
    value = document.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise AuditorError(f"{name} must be an integer")
    return value


def check_head(head: Mapping[str, Any], public_key: str | None = None) -> heads.TreeHead:
    """The parsed head, if its signature holds under ``public_key`` (base64, raw Ed25519).

    Pass the key you keep; without one the head's own key is used, which only
    shows the head was not altered after it was signed.
    """
    try:
        parsed, own_key = heads.parse(dict(head))
        key = signing.public_from_b64(public_key) if public_key else own_key
    except (heads.HeadFormatError, signing.SigningKeyError) as error:
        raise AuditorError(str(error)) from None
    if not heads.signature_ok(parsed, key):
        raise AuditorError(f"the tree head of size {parsed.size} is not signed by this key")
    return parsed


def check_inclusion(
    *, proof: Mapping[str, Any], head: Mapping[str, Any], public_key: str | None = None
) -> None:
    """Raise AuditorError unless the event in ``proof`` is in the tree ``head`` signs."""
    tree_head = check_head(head, public_key)
    size, index = _int(proof, "tree_size"), _int(proof, "leaf_index")
    if size != tree_head.size:
        raise AuditorError(f"the proof is for size {size}, the head is for {tree_head.size}")
    leaf = _hashes([proof.get("leaf_hash")], "leaf_hash")[0]
    data = proof.get("leaf_data")
    if data is not None and merkle.leaf_hash(str(data).encode()) != leaf:
        raise AuditorError("leaf_hash is not the hash of leaf_data")
    path = _hashes(proof.get("audit_path"), "audit_path")
    try:
        computed = merkle.root_from_inclusion(index, size, leaf, path)
    except merkle.ProofError as error:
        raise AuditorError(str(error)) from None
    if computed != tree_head.root_hash:
        raise AuditorError("the audit path does not lead to the head's root")


def check_consistency(
    *,
    proof: Mapping[str, Any],
    old_head: Mapping[str, Any],
    new_head: Mapping[str, Any],
    public_key: str | None = None,
) -> None:
    """Raise AuditorError unless the tree of ``old_head`` is a prefix of ``new_head``'s."""
    old, new = check_head(old_head, public_key), check_head(new_head, public_key)
    if (_int(proof, "old_size"), _int(proof, "new_size")) != (old.size, new.size):
        raise AuditorError("the proof's sizes are not the heads' sizes")
    hashes = _hashes(proof.get("proof"), "proof")
    if not merkle.verify_consistency(
        old_size=old.size,
        new_size=new.size,
        old_root=old.root_hash,
        new_root=new.root_hash,
        proof=hashes,
    ):
        raise AuditorError(f"the tree of size {old.size} is not a prefix of the tree of {new.size}")
