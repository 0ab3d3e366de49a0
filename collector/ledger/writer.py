"""The ledger's writes in a process of their own (``ledger.writer_process = true``), so that
SQLite's work runs on another core than MQTT, validation and the time-series sink.

:class:`LedgerWriter` has the two calls the Ingestor makes, :meth:`store` and
:meth:`count_online`, with the same results and errors as :class:`collector.ledger.store.Ledger`:
each call waits for the child's answer, so "acknowledged only once committed" holds as before.
What crosses the pipe is small: for an accepted message its topic, payload bytes, times, site
and hash, and which path read it; the child reads the payload again, on the same path
(:func:`collector.ingest.fast.decode_accepted`, without the checks the parent made on these
very bytes, or the schema's pydantic model for what the fast path leaves), rather than fifty
readings being pickled.

Errors: the child sorts every exception into ``LedgerUnavailable`` or ``LedgerRefused``
(:func:`collector.ledger.errors.classify`) and sends the kind and reason back, where they are
raised again. A child that died, or could not start, is ``LedgerUnavailable`` (the Ingestor
retries, nothing is acknowledged), and the next call starts a new one. The child exits when
its pipe closes, so a collector that is killed leaves no writer behind.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from collector.ingest import fast
from collector.ledger.errors import LedgerError, LedgerRefused, LedgerUnavailable, classify
from collector.ledger.messages import Accepted, Rejection, StatusChange
from collector.ledger.store import Ledger, StoreResult
from collector.model import Sample
from collector.wire import WireTelemetry
from contract.schema import Telemetry

log = logging.getLogger(__name__)

_CTX = mp.get_context("spawn")  # no fork of a process holding threads and connections
START_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Message:
    """An accepted message as it crosses the pipe."""

    topic: str
    payload: bytes
    site: str
    received_at: datetime
    clock_skew_seconds: float
    extra_samples: tuple[Sample, ...]
    content_hash: str | None
    fast: bool  # the parent read it on the fast path: the child reads it there, unchecked


@dataclass(frozen=True, slots=True)
class _Store:
    batch: list[_Message]
    rejected: Sequence[Rejection]
    statuses: Sequence[StatusChange]


class LedgerWriter:
    """Stores batches through a child process that owns a :class:`Ledger` on ``url``."""

    def __init__(self, url: str, *, dead_letter_payload_bytes: int) -> None:
        self.url = url
        self._bytes = dead_letter_payload_bytes
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._conn: Connection | None = None

    def store(
        self,
        batch: Sequence[Accepted],
        *,
        rejected: Sequence[Rejection] = (),
        statuses: Sequence[StatusChange] = (),
    ) -> StoreResult:
        """As :meth:`Ledger.store`, in the child."""
        wire = [
            _Message(
                a.topic,
                a.payload,
                a.site,
                a.received_at,
                a.clock_skew_seconds,
                a.extra_samples,
                a.content_hash,
                isinstance(a.message, WireTelemetry),
            )
            for a in batch
        ]
        answer = self._call(_Store(wire, list(rejected), list(statuses)))
        if not isinstance(answer, StoreResult):
            raise LedgerUnavailable(f"ledger writer answered {type(answer).__name__}")
        return answer

    def start(self) -> None:
        """Start the child now rather than at the first batch (it takes seconds: imports and
        the ledger's engine), so that a writer that cannot start is said at start-up; raises
        ``LedgerUnavailable`` then, as a later batch would."""
        with self._lock:
            self._running()

    def count_online(self) -> int:
        answer = self._call("count_online")
        return answer if isinstance(answer, int) else 0

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _call(self, request: object) -> object:
        with self._lock:
            try:
                conn = self._running()
                conn.send(request)
                kind, value = conn.recv()
            except LedgerError:
                raise
            except Exception as exc:  # the pipe or the child, never the rows: hold, retry
                self._stop()
                raise LedgerUnavailable(f"ledger writer process: {exc!r}") from None
        if kind == "unavailable":
            raise LedgerUnavailable(str(value))
        if kind == "refused":
            raise LedgerRefused(str(value))
        return value

    def _running(self) -> Connection:
        if self._conn is not None and self._child is not None and self._child.is_alive():
            return self._conn
        self._stop()
        mine, theirs = _CTX.Pipe()
        child = _CTX.Process(
            target=serve, args=(theirs, self.url, self._bytes), name="ledger-writer", daemon=True
        )
        child.start()
        theirs.close()
        if not mine.poll(START_SECONDS) or mine.recv() != ("ready", None):
            child.kill()
            raise LedgerUnavailable("ledger writer process did not start")
        self._child, self._conn = child, mine
        return mine

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the child sees the end of its pipe and exits
        if self._child is not None:
            self._child.join(10)
            if self._child.is_alive():
                self._child.kill()
        self._child = self._conn = None


# -- the child --------------------------------------------------------------------------------


def serve(conn: Connection, url: str, dead_letter_payload_bytes: int) -> None:
    """The child's loop: one request, one answer, until the pipe closes."""
    import gc

    gc.set_threshold(50_000, 20, 100)  # as the collector: a batch is many small objects
    ledger = Ledger(url, dead_letter_payload_bytes=dead_letter_payload_bytes)
    gc.collect()
    gc.freeze()  # start-up's objects out of every full collection (see collector.app)
    conn.send(("ready", None))
    try:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return
            conn.send(_answer(ledger, request))
    finally:
        ledger.close()


def _answer(ledger: Ledger, request: object) -> tuple[str, object]:
    try:
        if request == "count_online":
            return ("ok", ledger.count_online())
        if isinstance(request, _Store):
            accepted = [_accepted(m) for m in request.batch]
            result = ledger.store(accepted, rejected=request.rejected, statuses=request.statuses)
            return ("ok", result)
        return ("refused", f"unknown request {type(request).__name__}")
    except Exception as exc:  # every error goes back to the Ingestor, sorted
        error: LedgerError = classify(exc)
        kind = "unavailable" if isinstance(error, LedgerUnavailable) else "refused"
        return (kind, error.reason)


def _accepted(m: _Message) -> Accepted:
    """The message the parent validated, read again from its bytes (same result: same
    bytes, same code)."""
    message = (m.fast and fast.decode_accepted(m.payload)) or Telemetry.model_validate(
        json.loads(m.payload)
    )
    return Accepted(
        message,
        m.site,
        m.received_at,
        m.clock_skew_seconds,
        m.extra_samples,
        content_hash=m.content_hash,
        topic=m.topic,
        payload=m.payload,
    )
