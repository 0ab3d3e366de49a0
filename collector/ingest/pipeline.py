"""From raw MQTT messages to stored readings: validate, dead-letter, deduplicate, store, ack.

The MQTT thread queues each message with its acknowledgement (a bounded queue: when it is
full the MQTT thread waits, so the broker holds the backlog). One worker thread stores them in
batches: every message of a batch (telemetry, status, rejection) in one ledger transaction,
then one time-series write. A message is acknowledged to the broker only after that commit,
so a crash of the collector loses nothing the broker was told is stored.

With the ledger's writes in a process of their own (:class:`collector.ledger.writer.
LedgerWriter`), three threads share the work (:mod:`collector.ingest.stage`): one validates
the next batch, one waits for the writer to commit the batch before, and one sends the batch
before that to the time-series sink and acknowledges it, so the writer never waits for the
sink's encoding.

A ledger that cannot write (disk full, locked, down: ``LedgerUnavailable``) holds the batch:
it is retried with backoff until it succeeds or the collector stops, nothing is acknowledged
meanwhile, and the broker keeps the rest. That is said once when it starts and once when it
ends, and on /metrics (:mod:`collector.ingest.health`). A batch the ledger refuses
(``LedgerRefused``) is split in halves until the refused message is alone: it becomes a dead
letter with the database's reason, and its neighbours are stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from collector.ingest.health import LedgerHealth
from collector.ingest.sleep_energy import sleep_samples
from collector.ingest.stage import Stage
from collector.ingest.stored import AfterCommit, Item, Raw
from collector.ingest.validate import Limits, Rejected, ValidStatus, validate
from collector.ledger.errors import LedgerRefused, LedgerUnavailable, classify
from collector.ledger.messages import Accepted, Rejection, StatusChange
from collector.ledger.store import Ledger, StoreResult
from collector.ledger.writer import LedgerWriter
from collector.metrics import CollectorMetrics
from collector.model import Sample
from collector.sinks import Sink

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.2


class Ingestor:
    """Validates and stores messages on a worker thread; ``submit`` is safe from any thread."""

    def __init__(
        self,
        ledger: Ledger | LedgerWriter,
        metrics: CollectorMetrics,
        *,
        limits: Limits | None = None,
        sink: Sink | None = None,
        kind_of: Callable[[str], str | None] = lambda _d: None,
        max_queue: int = 100_000,
        batch_size: int = 2_000,
        retry_max_seconds: float = 5.0,
    ) -> None:
        self.ledger = ledger
        self.metrics = metrics
        self.limits = limits or Limits()
        self.sink = sink
        self.kind_of = kind_of
        self.batch_size = batch_size
        self.retry_max_seconds = retry_max_seconds
        self.health = LedgerHealth(metrics, retry_max_seconds)
        self._queue: queue.Queue[Raw | None] = queue.Queue(max_queue)
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
        # a writer process: validate here while the last batch commits there, and the one
        # before is sent to the sink and acknowledged
        self._commits: Stage[list[Item]] | None = None
        self._acks: Stage[tuple[list[Item], StoreResult]] | None = None
        if isinstance(ledger, LedgerWriter):
            self._commits = Stage("ingest-commit", self._store_durably)
            self._acks = Stage("ingest-ack", self._ack_stored, maxsize=2)
        self._pending = 0  # messages submitted and not yet stored (or given up)
        self._pending_lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._stopping = threading.Event()
        self._after = AfterCommit(metrics, sink, ledger.count_online)

    def start(self) -> None:
        for stage in (self._acks, self._commits):  # each ready before the step feeding it
            if stage is not None:
                stage.start()
        self._thread.start()

    def submit(
        self,
        topic: str,
        payload: bytes,
        received_at: datetime | None = None,
        ack: Callable[[], None] | None = None,
    ) -> None:
        """Queue one message (blocks while the queue is full: back-pressure to the broker);
        ``ack`` is called once the message is durable in the ledger."""
        with self._pending_lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(Raw(topic, payload, received_at or datetime.now(UTC), ack))
        self.metrics.queue_depth.set(self._queue.qsize())

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything queued so far is stored."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Store what is queued if the ledger takes it, then stop. With the ledger down, the
        held messages are given up unacknowledged: the broker sends them again."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):  # then it sees ``_stopping`` once drained
            self._queue.put_nowait(None)
        self._thread.join(timeout)
        if self._commits is not None and self._acks is not None:
            self._commits.join(timeout)
            self._acks.finish()  # after the last commit: its acknowledgements
            self._acks.join(timeout)

    # -- worker ---------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._validate_batches()
        finally:
            if self._commits is not None:
                self._commits.finish()

    def _validate_batches(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=0.5)
            except queue.Empty:
                if self._stopping.is_set():
                    return
                continue
            if first is None:
                return
            batch, last = [first], False
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    last = True
                    break
                batch.append(item)
            items = [self._item(raw) for raw in batch]
            if self._commits is not None:
                if not self._commits.put(items) or last:
                    return
            elif not self._store_durably(items) or last:
                return
            self.metrics.queue_depth.set(self._queue.qsize())

    def _finished(self, messages: int) -> None:
        with self._pending_lock:
            self._pending -= messages
            if self._pending <= 0:
                self._idle.set()

    def _store_durably(self, items: list[Item]) -> bool:
        """Commit every message of ``items``, then acknowledge it. False if the collector
        stopped while the ledger was unavailable (those messages stay unacknowledged)."""
        pending = [items]
        delay = RETRY_FIRST_SECONDS
        while pending:
            part = pending.pop()
            try:
                result = self._commit(part)
            except LedgerRefused as exc:
                if len(part) > 1:
                    mid = len(part) // 2
                    pending += [part[mid:], part[:mid]]
                elif part[0].code != "ledger_refused":
                    pending.append([self._refused(part[0], exc.reason)])
                else:  # not even its dead letter: say so, or the broker resends it forever
                    self._lost(part[0], exc.reason)
                    self._finished(1)
                continue
            except LedgerUnavailable as exc:
                pending.append(part)
                self.health.failed(exc.reason, sum(len(p) for p in pending))
                if self._stopping.wait(delay):
                    return False
                delay = min(delay * 2, self.retry_max_seconds)
                continue
            self.health.committed()
            delay = RETRY_FIRST_SECONDS
            if self._acks is None or not self._acks.put((part, result)):
                self._ack_stored((part, result))
        return True

    def _ack_stored(self, stored: tuple[list[Item], StoreResult]) -> bool:
        part, result = stored
        self._after(part, result)
        self._finished(len(part))
        return True

    def _item(self, raw: Raw) -> Item:
        """Validate one message; never raises (a reader's bug is a rejection with its name)."""
        try:
            valid = validate(raw.topic, raw.payload, raw.received_at, self.limits)
            if isinstance(valid, ValidStatus):
                st = valid.status
                change = StatusChange(st.device_id, valid.site, st.online, st.ts or raw.received_at)
                return Item(raw, status=change)
            msg = valid.message
            extra: tuple[Sample, ...] = ()
            if msg.state is not None and msg.state.slept:
                kind = msg.kind or self.kind_of(msg.device_id)
                extra = tuple(sleep_samples(msg.device_id, list(msg.state.slept), kind))
        except Rejected as rej:
            return self._rejection(raw, rej.code, rej.reason)
        except Exception as exc:  # the batch must survive a bug in reading one message
            return self._rejection(raw, "internal", f"could not be read: {exc!r}"[:500])
        accepted = Accepted(
            msg,
            valid.site,
            raw.received_at,
            valid.clock_skew_seconds,
            extra,
            content_hash=hashlib.sha256(raw.payload).hexdigest(),
            topic=raw.topic,
            payload=raw.payload,
        )
        return Item(raw, accepted=accepted)

    @staticmethod
    def _rejection(raw: Raw, code: str, reason: str) -> Item:
        return Item(
            raw, rejection=Rejection(raw.topic, reason, raw.payload, raw.received_at), code=code
        )

    def _refused(self, item: Item, reason: str) -> Item:
        """The one message of a split batch that the ledger refused: its dead letter (the
        topic made printable, in case that is what was refused)."""
        topic = item.raw.topic.encode("ascii", "replace").decode().replace("\x00", "?")
        text = f"ledger refused it: {reason}".replace("\x00", "?")[:1000]
        if item.rejection is not None:  # its dead letter itself was refused
            text = f"{text} (was: {item.rejection.reason})".replace("\x00", "?")[:2000]
        raw = Raw(topic, item.raw.payload, item.raw.received_at, item.raw.ack)
        return self._rejection(raw, "ledger_refused", text)

    def _lost(self, item: Item, reason: str) -> None:
        self.metrics.messages.labels("lost").inc()
        log.error(
            "message on %r lost: the ledger refused it and its dead letter (%s)",
            item.raw.topic,
            reason,
        )
        if item.raw.ack is not None:
            item.raw.ack()

    def _commit(self, part: Sequence[Item]) -> StoreResult:
        try:
            return self.ledger.store(
                [i.accepted for i in part if i.accepted is not None],
                rejected=[i.rejection for i in part if i.rejection is not None],
                statuses=[i.status for i in part if i.status is not None],
            )
        except Exception as exc:  # the worker must survive whatever the ledger raises
            raise classify(exc) from exc
