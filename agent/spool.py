"""Store and forward: telemetry waits in SQLite until the broker acknowledges it.

Writes one row per message (its ``seq``, creation time in Unix seconds, JSON bytes). Bounded
twice: at most ``max_messages`` rows (the oldest go first, reason ``overflow``) and none older
than ``max_age_seconds`` (reason ``expired``). Every drop is counted by reason in
``dropped_total``, and the counts and the next ``seq`` survive restarts (table ``meta``), so the
collector's duplicate check by (device_id, epoch, seq) keeps working. ``epoch`` is a random id
made when the spool file is created (64 random bits, 16 hex digits): a wiped spool starts
again at seq 0 under a new epoch, and the collector stores that as new data. ``":memory:"``
keeps it all in RAM. Thread-safe: the caller's thread appends, the MQTT threads read and delete.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

DROP_REASONS = ("overflow", "expired", "rejected")


class SpoolError(RuntimeError):
    """The spool file cannot be opened or written (disk full, read-only, corrupt)."""


class Spool:
    """A bounded SQLite queue of messages ordered by ``seq``."""

    def __init__(
        self,
        path: Path | str,
        *,
        max_messages: int,
        max_age_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_messages < 1 or max_age_seconds <= 0:
            raise ValueError("max_messages must be >= 1 and max_age_seconds > 0")
        self.path = str(path)
        self.max_messages = max_messages
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise SpoolError(f"spool {self.path}: {exc}") from exc
        self._next_seq = self._meta("next_seq", 0)
        last = self._db.execute("SELECT MAX(seq) FROM messages").fetchone()[0]
        if last is not None and last >= self._next_seq:
            self._next_seq = int(last) + 1
        epoch = self._meta("epoch", -1)
        if epoch < 0:  # a new spool (or one from before epochs): a new epoch, kept for good
            epoch = secrets.randbits(63)
            try:
                self._set_meta("epoch", epoch)
            except sqlite3.Error as exc:
                raise SpoolError(f"spool {self.path}: {exc}") from exc
        self.epoch = f"{epoch:016x}"
        self.dropped_total: dict[str, int] = {
            r: self._meta(f"dropped_{r}", 0) for r in DROP_REASONS
        }

    def _meta(self, key: str, default: int) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else default

    def _set_meta(self, key: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _count_drop(self, reason: str, n: int) -> None:
        if n > 0:
            self.dropped_total[reason] = self.dropped_total.get(reason, 0) + n
            self._set_meta(f"dropped_{reason}", self.dropped_total[reason])

    @property
    def next_seq(self) -> int:
        """The ``seq`` the next appended message will get."""
        with self._lock:
            return self._next_seq

    def append(self, make_payload: Callable[[int], bytes]) -> int:
        """Give the next ``seq`` to ``make_payload``, store its bytes, return the ``seq``."""
        with self._lock:
            seq = self._next_seq
            payload = make_payload(seq)
            now = self._clock()
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO messages(seq, created, payload) VALUES(?, ?, ?)",
                    (seq, now, payload),
                )
                self._next_seq = seq + 1
                self._set_meta("next_seq", self._next_seq)
                self._expire(now)
                excess = self._count() - self.max_messages
                if excess > 0:
                    self._db.execute(
                        "DELETE FROM messages WHERE seq IN "
                        "(SELECT seq FROM messages ORDER BY seq LIMIT ?)",
                        (excess,),
                    )
                    self._count_drop("overflow", excess)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise SpoolError(f"spool {self.path}: {exc}") from exc
            return seq

    def _count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0])

    def _expire(self, now: float) -> None:
        cur = self._db.execute(
            "DELETE FROM messages WHERE created < ?", (now - self.max_age_seconds,)
        )
        self._count_drop("expired", cur.rowcount)

    def peek(self, after: int | None, limit: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` messages with ``seq`` > ``after`` (all if None), oldest first."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._expire(self._clock())
            rows = self._db.execute(
                "SELECT seq, payload FROM messages WHERE seq > ? ORDER BY seq LIMIT ?",
                (-1 if after is None else after, limit),
            ).fetchall()
            self._db.execute("COMMIT")
        return [(int(seq), bytes(payload)) for seq, payload in rows]

    def ack(self, seq: int) -> None:
        """The broker has the message: forget it."""
        with self._lock:
            self._db.execute("DELETE FROM messages WHERE seq = ?", (seq,))

    def count_drop(self, reason: str, n: int = 1) -> None:
        """Count a drop decided elsewhere (a broker that refused a message)."""
        with self._lock:
            self._count_drop(reason, n)

    def __len__(self) -> int:
        with self._lock:
            return self._count()

    def oldest_age_seconds(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(created) FROM messages").fetchone()
        return None if row[0] is None else max(0.0, self._clock() - float(row[0]))

    def close(self) -> None:
        with self._lock:
            self._db.close()
