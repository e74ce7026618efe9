"""A device's batch in any of its three encodings: JSON, CBOR or MessagePack.

All three carry the same shape (``batch.cddl`` next to this file; the README
shows it): a map with ``readings``, an array of reading maps exactly as in
JSON, and an optional ``batch_id``, a text of 1 to 64 printable characters
that names the batch once and for all (a batch sent again under the same id
stores nothing). In CBOR and MessagePack a time may also be a native timestamp
(CBOR tag 0 or 1, the MessagePack timestamp extension); in every encoding it
may be an RFC 3339 text.

Over HTTP the ``Content-Type`` names the encoding. MQTT 3.1.1 has no content
type, so a publish is recognised by its first byte, which is unambiguous for
a map: ``{`` (or white space) for JSON, 0xa0-0xbb or 0xbf for CBOR, 0x80-0x8f,
0xde or 0xdf for MessagePack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

import cbor2
import msgpack

from privacyops.telemetry.ingest import MAX_READINGS

BATCH_ID_LIMIT = 64


class Encoding(StrEnum):
    JSON = "application/json"
    CBOR = "application/cbor"
    MSGPACK = "application/msgpack"


#: Content types accepted for each encoding (lower case, parameters stripped).
CONTENT_TYPES: dict[str, Encoding] = {
    "application/json": Encoding.JSON,
    "application/cbor": Encoding.CBOR,
    "application/msgpack": Encoding.MSGPACK,
    "application/x-msgpack": Encoding.MSGPACK,
    "application/vnd.msgpack": Encoding.MSGPACK,
}


class BatchError(ValueError):
    """The body is not a batch: one clear reason, and the field at fault if there is one."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True, slots=True)
class Batch:
    readings: list[object]
    batch_id: str | None


def encoding_of(content_type: str | None) -> Encoding:
    """The encoding a Content-Type names; JSON when there is none."""
    if not content_type:
        return Encoding.JSON
    name = content_type.split(";", 1)[0].strip().lower()
    found = CONTENT_TYPES.get(name)
    if found is None:
        accepted = ", ".join(sorted(CONTENT_TYPES))
        raise BatchError(f"unsupported content type {name!r}; send one of {accepted}")
    return found


def sniff(payload: bytes) -> Encoding:
    """The encoding of a payload that does not say (an MQTT 3.1.1 publish)."""
    if not payload:
        raise BatchError("the message is empty")
    first = payload[0]
    if 0xA0 <= first <= 0xBB or first == 0xBF:
        return Encoding.CBOR
    if 0x80 <= first <= 0x8F or first in (0xDE, 0xDF):
        return Encoding.MSGPACK
    return Encoding.JSON


def _parse(payload: bytes, encoding: Encoding) -> object:
    try:
        if encoding is Encoding.CBOR:
            return cbor2.loads(payload)
        if encoding is Encoding.MSGPACK:
            return msgpack.unpackb(payload, timestamp=3, strict_map_key=True)
        return json.loads(payload)
    except RecursionError:
        raise BatchError("the body is nested too deeply") from None
    except Exception:  # each decoder has its own error types; all mean "malformed"
        name = "MessagePack" if encoding is Encoding.MSGPACK else encoding.name
        raise BatchError(f"the body is not valid {name}") from None


def decode(payload: bytes, encoding: Encoding) -> Batch:
    """The batch in ``payload``; ``BatchError`` if it is not one."""
    parsed = _parse(payload, encoding)
    if not isinstance(parsed, dict):
        raise BatchError('the body must be {"readings": [...]}', field="readings")
    unknown = sorted(str(k) for k in parsed if k not in ("readings", "batch_id"))
    if unknown:
        raise BatchError(f"unknown key {unknown[0]!r} in the batch", field=unknown[0][:64])
    readings = parsed.get("readings")
    if not isinstance(readings, list):
        raise BatchError('the body must be {"readings": [...]}', field="readings")
    if len(readings) > MAX_READINGS:
        raise BatchError(f"at most {MAX_READINGS} readings per batch", field="readings")
    batch_id = parsed.get("batch_id")
    if batch_id is not None and (
        type(batch_id) is not str
        or not 0 < len(batch_id) <= BATCH_ID_LIMIT
        or not batch_id.isprintable()
    ):
        raise BatchError(
            f"batch_id must be 1 to {BATCH_ID_LIMIT} printable characters", field="batch_id"
        )
    return Batch(readings, batch_id)


def encode(batch: dict[str, object], encoding: Encoding) -> bytes:
    """What a device (the simulator, a test, the benchmark) sends."""
    if encoding is Encoding.CBOR:
        return cbor2.dumps(batch)
    if encoding is Encoding.MSGPACK:
        packed: bytes = msgpack.packb(batch, datetime=True)
        return packed
    return json.dumps(batch, separators=(",", ":")).encode()
