"""A bounded disk queue of line-protocol batches, oldest first, that survives restarts.

Each batch is one write-once file ``<sequence>-<lines>.lp`` in the spool directory, holding
line protocol exactly as it will be sent (bytes, UTF-8). A file is written to ``.tmp``,
fsynced and renamed, so a crash leaves either a whole batch or none. The spool is bounded in
bytes: when a new batch does not fit, the oldest batches are deleted and their lines counted as
dropped (the caller adds them to its drop counter and logs them). Not thread-safe: one owner
thread.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".lp"


@dataclass(frozen=True, slots=True)
class Spooled:
    """One batch on disk."""

    path: Path
    sequence: int
    lines: int
    size_bytes: int


@dataclass(frozen=True, slots=True)
class SpoolDepth:
    batches: int
    lines: int
    size_bytes: int


def _parse(path: Path) -> Spooled | None:
    seq, _, lines = path.stem.partition("-")
    if not (seq.isdigit() and lines.isdigit()):
        return None
    return Spooled(path, int(seq), int(lines), path.stat().st_size)


class Spool:
    """FIFO of batches on disk, at most ``max_bytes`` in total."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.tmp"):
            log.warning("spool: removing %s, a batch cut short by a crash", stale)
            stale.unlink()
        found = [s for p in directory.glob(f"*{SUFFIX}") if (s := _parse(p)) is not None]
        self._queue: deque[Spooled] = deque(sorted(found, key=lambda s: s.sequence))
        self._bytes = sum(s.size_bytes for s in self._queue)
        self._lines = sum(s.lines for s in self._queue)
        self._next = self._queue[-1].sequence + 1 if self._queue else 0

    @property
    def depth(self) -> SpoolDepth:
        return SpoolDepth(len(self._queue), self._lines, self._bytes)

    def __len__(self) -> int:
        return len(self._queue)

    def push(self, payload: bytes, lines: int) -> tuple[bool, int]:
        """Append a batch; returns (stored, lines dropped to respect ``max_bytes``).

        A batch larger than the whole spool is not stored and counts as dropped. Raises
        OSError when the disk refuses the write (the batch is then not in the spool).
        """
        if len(payload) > self.max_bytes:
            return False, lines
        dropped = 0
        while self._queue and self._bytes + len(payload) > self.max_bytes:
            dropped += self.pop().lines
        path = self.directory / f"{self._next:016d}-{lines}{SUFFIX}"
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        tmp.rename(path)
        self._next += 1
        self._queue.append(Spooled(path, self._next - 1, lines, len(payload)))
        self._bytes += len(payload)
        self._lines += lines
        return True, dropped

    def peek(self) -> Spooled | None:
        """The oldest batch, or None."""
        return self._queue[0] if self._queue else None

    def read(self, item: Spooled) -> bytes:
        return item.path.read_bytes()

    def pop(self) -> Spooled:
        """Remove the oldest batch (after it was delivered, or to drop it)."""
        item = self._queue.popleft()
        self._bytes -= item.size_bytes
        self._lines -= item.lines
        item.path.unlink(missing_ok=True)
        return item
