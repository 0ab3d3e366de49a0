"""Message identity in the ledger: what a batch brings (accepted, rejected, status changes),
and the ``messages`` table's key (device, agent epoch, seq) with the payload's SHA-256, which
tells a resend (same hash: a duplicate) from a conflict (another hash: a dead letter).
Used by :mod:`collector.ledger.store` inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.engine import Connection

from collector.ledger import tables as t
from collector.model import Sample
from collector.wire import Message

Key = tuple[str, str, int]
"""(device_id, epoch, seq); a message without an epoch has ``""``."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """A validated telemetry message, ready to store."""

    message: Message  # from the fast path (msgspec) or the full one (pydantic)
    site: str
    received_at: datetime
    clock_skew_seconds: float
    extra_samples: tuple[Sample, ...] = ()
    content_hash: str | None = None  # sha256 of the payload: tells a resend from a conflict
    topic: str = ""  # where it came from and what it was, for a conflict's dead letter
    payload: bytes = b""

    @property
    def key(self) -> Key:
        """The message's identity: (device, agent epoch, seq); no epoch is ``""``."""
        return (self.message.device_id, self.message.epoch or "", self.message.seq)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message to keep as a dead letter, with the reason it was not stored."""

    topic: str
    reason: str
    payload: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A device's retained status (online or offline) as of ``ts``."""

    device_id: str
    site: str
    online: bool
    ts: datetime


def insert_message_ids(
    conn: Connection, insert_ignore: Any, ordered: Sequence[Accepted]
) -> set[Key]:
    """Insert (device, epoch, seq) for every message in one statement, in the given order;
    return the keys that were new (RETURNING: rowcount is not reliable on every driver)."""
    if not ordered:
        return set()
    c = t.messages.c
    rows = conn.execute(
        insert_ignore.returning(c.device_id, c.epoch, c.seq),
        [
            {
                "device_id": a.message.device_id,
                "epoch": a.message.epoch or "",
                "seq": a.message.seq,
                "received_at": a.received_at,
                "content_hash": a.content_hash,
            }
            for a in ordered
        ],
    )
    return {(r.device_id, r.epoch, r.seq) for r in rows}


def known_hashes(conn: Connection, seen: Sequence[Accepted]) -> dict[Key, str]:
    """The stored content hash of each key already in the ledger ("" when none was kept)."""
    keys = sorted({a.key for a in seen})
    found: dict[Key, str] = {}
    c = t.messages.c
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        q = select(c.device_id, c.epoch, c.seq, c.content_hash).where(
            tuple_(c.device_id, c.epoch, c.seq).in_(chunk)
        )
        for r in conn.execute(q):
            found[(r.device_id, r.epoch, r.seq)] = r.content_hash or ""
    return found


def dead_row(r: Rejection) -> dict[str, Any]:
    return {
        "received_at": r.received_at,
        "topic": r.topic,
        "reason": r.reason,
        "payload": r.payload,
    }


def conflict_row(acc: Accepted, before: str) -> dict[str, Any]:
    device_id, epoch, seq = acc.key
    reason = (
        f"conflict: device {device_id} epoch {epoch or '(none)'} seq {seq} was stored before "
        f"with other content (sha256 {before[:16] or 'unknown'}, this one "
        f"{(acc.content_hash or '')[:16]}); kept, not stored"
    )
    return dead_row(Rejection(acc.topic, reason, acc.payload, acc.received_at))
