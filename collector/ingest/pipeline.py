"""From raw MQTT messages to stored readings: validate, dead-letter, deduplicate, store.

Messages are queued by the MQTT thread (a bounded queue: when full, the MQTT thread waits,
so the broker holds the backlog) and stored in batches by one worker thread: one ledger
transaction and one time-series write per batch. Nothing is acknowledged as stored before the
ledger commit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collector.ingest.sleep_energy import sleep_samples
from collector.ingest.validate import Limits, Rejected, ValidStatus, validate
from collector.ledger.store import Accepted, Ledger
from collector.metrics import CollectorMetrics
from collector.model import Sample
from collector.sinks import Sink

log = logging.getLogger(__name__)

STORE_RETRIES = 4


@dataclass(frozen=True, slots=True)
class Raw:
    topic: str
    payload: bytes
    received_at: datetime


class Ingestor:
    """Validates and stores messages on a worker thread; ``submit`` is safe from any thread."""

    def __init__(
        self,
        ledger: Ledger,
        metrics: CollectorMetrics,
        *,
        limits: Limits | None = None,
        sink: Sink | None = None,
        kind_of: Callable[[str], str | None] = lambda _d: None,
        max_queue: int = 100_000,
        batch_size: int = 2_000,
    ) -> None:
        self.ledger = ledger
        self.metrics = metrics
        self.limits = limits or Limits()
        self.sink = sink
        self.kind_of = kind_of
        self.batch_size = batch_size
        self._queue: queue.Queue[Raw | None] = queue.Queue(max_queue)
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        self._thread.start()

    def submit(self, topic: str, payload: bytes, received_at: datetime | None = None) -> None:
        """Queue one message (blocks while the queue is full: back-pressure to the broker)."""
        self._idle.clear()
        self._queue.put(Raw(topic, payload, received_at or datetime.now(UTC)))
        self.metrics.queue_depth.set(self._queue.qsize())

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything queued so far is stored."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._store_safely(batch)
                    return
                batch.append(item)
            self._store_safely(batch)
            self.metrics.queue_depth.set(self._queue.qsize())
            if self._queue.empty():
                self._idle.set()

    def _store_safely(self, batch: Sequence[Raw]) -> None:
        """Store a batch, retrying a failing ledger with backoff; if it still fails, keep
        every message in the dead-letter store with the error, so that nothing is lost."""
        for attempt in range(STORE_RETRIES):
            try:
                self._process(batch)
                return
            except Exception as exc:  # the worker must survive whatever the ledger raises
                error = exc
                log.warning(
                    "storing %d messages failed (try %d of %d): %s",
                    len(batch),
                    attempt + 1,
                    STORE_RETRIES,
                    exc,
                )
                time.sleep(min(0.2 * 2**attempt, 5.0))
        log.error("giving up on %d messages; kept as dead letters: %s", len(batch), error)
        self.metrics.messages.labels("error").inc(len(batch))
        for raw in batch:
            try:
                self.ledger.dead_letter(
                    raw.topic, f"ledger write failed: {error}", raw.payload, raw.received_at
                )
            except Exception:
                log.exception("ledger unavailable: message on %s lost", raw.topic)

    def _process(self, batch: Sequence[Raw]) -> None:
        accepted: list[Accepted] = []
        for raw in batch:
            try:
                valid = validate(raw.topic, raw.payload, raw.received_at, self.limits)
            except Rejected as rej:
                self.metrics.rejects.labels(rej.code).inc()
                self.metrics.messages.labels("rejected").inc()
                self.ledger.dead_letter(raw.topic, rej.reason, raw.payload, raw.received_at)
                log.warning("rejected %s: %s", raw.topic, rej.reason)
                continue
            if isinstance(valid, ValidStatus):
                st = valid.status
                self.ledger.set_status(
                    st.device_id, valid.site, st.online, st.ts or raw.received_at
                )
                self.metrics.messages.labels("status").inc()
                self.metrics.devices_online.set(self.ledger.count_online())
                continue
            msg = valid.message
            extra: tuple[Sample, ...] = ()
            if msg.state is not None and msg.state.slept:
                extra = tuple(
                    sleep_samples(
                        msg.device_id,
                        list(msg.state.slept),
                        msg.kind or self.kind_of(msg.device_id),
                    )
                )
            accepted.append(
                Accepted(msg, valid.site, raw.received_at, valid.clock_skew_seconds, extra)
            )
        if not accepted:
            return
        result = self.ledger.store(accepted)
        self.metrics.messages.labels("stored").inc(result.stored_messages)
        self.metrics.messages.labels("duplicate").inc(result.duplicates)
        self.metrics.readings.labels("mqtt").inc(result.samples)
        freshest = min(a.received_at - a.message.sent_at for a in accepted)
        self.metrics.lag.set(max(freshest, timedelta(0)).total_seconds())
        if self.sink is not None and result.samples:
            stored = [accepted[i] for i in result.stored]
            samples = [
                Sample.from_reading(a.message.device_id, r)
                for a in stored
                for r in a.message.readings
            ]
            samples += [s for a in stored for s in a.extra_samples]
            self.sink.write(samples)
