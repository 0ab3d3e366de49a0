"""Hand alert events to every channel without ever blocking the caller.

Each channel has one bounded queue and one worker thread. :meth:`Dispatcher.publish` filters
out what a channel already delivered (the ``alert_deliveries`` table, and what is queued right
now), routes, and enqueues without waiting: a full queue drops the batch and counts it. A worker
calls the channel's ``send(batch)``, retries a :class:`DeliveryError` with exponential backoff
(tenacity), bounded by attempts and by age, then records the delivery so a restart does not send
it again.

Routing: plain ``violation_opened`` and ``config_violation_opened`` events reach the digest
channels (e-mail by default) only through the morning digest, and a resolution reaches them
only if they announced the violation (in a digest or as a repeat offender); repeat offenders,
resolutions, PUE and silent-device events go out at once everywhere. Stateful channels
(Alertmanager, the gauge) also get :meth:`refresh`, the open violations re-asserted on every
analysis run, without deduplication.

On ``/metrics`` (counts of events; a digest counts its events):
``veille_alert_deliveries_total{channel}`` delivered, ``veille_alert_deliveries_failed_total
{channel}`` in failed attempts, ``veille_alert_deliveries_dropped_total{channel,reason}`` given
up (``queue_full``, ``retries_exhausted``, ``expired``, ``refused``, ``channel_error``,
``shutdown``), and ``veille_alert_queue_batches{channel}``.

``publish`` is meant to be called from one thread at a time (the analysis job, which runs one
instance at a time): two concurrent calls could both queue the same new event.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from prometheus_client import CollectorRegistry
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_when_event_set,
    wait_exponential,
)

from collector.alerts.counters import DeliveryCounters
from collector.alerts.dedupe import Deduper
from collector.alerts.delivered import DeliveryLog, DeliveryLogError, Ident
from collector.alerts.errors import DeliveryError, PermanentDeliveryError
from collector.alerts.events import DIGEST_ONLY, AlertEvent, Batch, Digest

log = logging.getLogger(__name__)


class Channel(Protocol):
    """One delivery. ``send`` raises DeliveryError (retried) or PermanentDeliveryError."""

    @property
    def name(self) -> str: ...

    @property
    def stateful(self) -> bool: ...

    def send(self, batch: Batch) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    max_age_seconds: float = 3600.0
    initial_seconds: float = 1.0
    max_wait_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class _Item:
    batch: Batch
    idents: tuple[Ident, ...]
    dedupe: bool
    enqueued: float  # time.monotonic()


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and not isinstance(exc, PermanentDeliveryError)


class _Worker:
    def __init__(self, channel: Channel, size: int) -> None:
        self.channel = channel
        self.queue: queue.Queue[_Item] = queue.Queue(maxsize=size)
        self.thread: threading.Thread | None = None


class Dispatcher:
    """One bounded queue and worker per channel; see the module docstring."""

    def __init__(
        self,
        channels: Sequence[Channel],
        *,
        registry: CollectorRegistry,
        delivery_log: DeliveryLog | None = None,
        retry: RetryPolicy | None = None,
        queue_size: int = 1000,
        digest_channels: Iterable[str] = ("email",),
    ) -> None:
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique: {names}")
        self.workers = {c.name: _Worker(c, queue_size) for c in channels}
        self.delivery_log = delivery_log
        self.retry = retry or RetryPolicy()
        self.digest_channels = frozenset(digest_channels)
        self.metrics = DeliveryCounters(registry)
        for name in self.workers:  # every channel shows on /metrics from the start, at 0
            self.metrics.delivered.labels(name)
            self.metrics.failed.labels(name)
            self.metrics.depth.labels(name).set(0)
        self.dedupe = Deduper(delivery_log)
        self._stop = threading.Event()

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        for name, w in self.workers.items():
            w.thread = threading.Thread(
                target=self._run, args=(w,), name=f"alerts-{name}", daemon=True
            )
            w.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; what is still queued is not recorded, so it is sent after restart."""
        self._stop.set()
        for w in self.workers.values():
            if w.thread is not None:
                w.thread.join(timeout)
            close = getattr(w.channel, "close", None)  # channels holding a connection (MQTT)
            if callable(close):
                close()
            left = w.queue.qsize()
            if left:
                log.warning("alerts: %s: %d batch(es) left at shutdown", w.channel.name, left)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every queue is empty and idle (tests, shutdown); True if it is."""
        deadline = time.monotonic() + timeout
        for w in self.workers.values():
            while w.queue.unfinished_tasks:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.02)
        return True

    # -- input ----------------------------------------------------------------------------

    def publish(self, events: Sequence[AlertEvent]) -> None:
        """Queue new events for every channel that has not delivered them; never blocks."""
        for name, w in self.workers.items():
            wanted = [e for e in events if self._routes(name, e)]
            if name in self.digest_channels:
                wanted = self.dedupe.announced_only(name, wanted)
            self._enqueue(w, Batch(tuple(self.dedupe.fresh(name, wanted))), dedupe=True)

    def publish_digest(self, digest: Digest) -> None:
        """Queue a digest for the digest channels (once per digest key and channel)."""
        for name in sorted(self.digest_channels & self.workers.keys()):
            if not self.dedupe.fresh_idents(name, [(digest.key, "sent")]):
                continue
            batch = Batch(digest.events, digest=digest)
            # its violations count as announced on this channel (their resolution will follow)
            idents = ((digest.key, "sent"), *((e.key, e.state) for e in digest.events))
            self._enqueue(self.workers[name], batch, dedupe=True, idents=idents)

    def refresh(self, open_events: Sequence[AlertEvent]) -> None:
        """Re-assert open alerts on the stateful channels (no deduplication, nothing recorded)."""
        for w in self.workers.values():
            if w.channel.stateful and open_events:
                self._enqueue(w, Batch(tuple(open_events)), dedupe=False)

    def _routes(self, channel: str, e: AlertEvent) -> bool:
        if channel in self.digest_channels and e.kind in DIGEST_ONLY:
            return e.repeat_offender
        return True

    def _enqueue(
        self, w: _Worker, batch: Batch, *, dedupe: bool, idents: tuple[Ident, ...] | None = None
    ) -> None:
        if not batch.events and batch.digest is None:
            return
        name = w.channel.name
        if idents is None:
            idents = tuple((e.key, e.state) for e in batch.events)
        item = _Item(batch, idents, dedupe, time.monotonic())
        try:
            w.queue.put_nowait(item)
        except queue.Full:
            self.metrics.dropped.labels(name, "queue_full").inc(len(batch))
            log.error("alerts: %s: queue full, %d event(s) dropped", name, len(batch))
            return
        if dedupe:
            self.dedupe.queued(name, idents)
        self.metrics.depth.labels(name).set(w.queue.qsize())

    # -- workers --------------------------------------------------------------------------

    def _run(self, w: _Worker) -> None:
        while not self._stop.is_set():
            try:
                item = w.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._deliver(w.channel, item)
            finally:
                if item.dedupe:
                    self.dedupe.done(w.channel.name, item.idents)
                self.metrics.depth.labels(w.channel.name).set(w.queue.qsize())
                w.queue.task_done()

    def _drop(self, channel: str, reason: str, item: _Item, why: object) -> None:
        self.metrics.dropped.labels(channel, reason).inc(len(item.batch))
        log.error("alerts: %s: %d event(s) dropped (%s): %s", channel, len(item.batch), reason, why)

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)  # wakes at once on stop()

    def _deliver(self, channel: Channel, item: _Item) -> None:
        name, n, p = channel.name, len(item.batch), self.retry
        remaining = p.max_age_seconds - (time.monotonic() - item.enqueued)
        if remaining <= 0:
            self._drop(name, "expired", item, f"older than {p.max_age_seconds:.0f} s")
            return
        retrying = Retrying(
            stop=(
                stop_after_attempt(p.max_attempts)
                | stop_after_delay(remaining)
                | stop_when_event_set(self._stop)
            ),
            wait=wait_exponential(multiplier=p.initial_seconds, max=p.max_wait_seconds),
            retry=retry_if_exception(_retryable),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    try:
                        channel.send(item.batch)
                    except DeliveryError as exc:
                        self.metrics.failed.labels(name).inc(n)
                        log.warning(
                            "alerts: %s: attempt %d failed: %s",
                            name,
                            attempt.retry_state.attempt_number,
                            exc,
                        )
                        raise
        except PermanentDeliveryError as exc:
            self._drop(name, "refused", item, exc)
            return
        except DeliveryError as exc:
            # At shutdown the batch is not recorded either: it is sent again after the restart.
            reason = "shutdown" if self._stop.is_set() else "retries_exhausted"
            self._drop(name, reason, item, exc)
            return
        except Exception as exc:  # a channel bug must not kill its worker; no text: may hold data
            self.metrics.failed.labels(name).inc(n)
            self._drop(name, "channel_error", item, type(exc).__name__)
            return
        self.metrics.delivered.labels(name).inc(n)
        if item.dedupe and self.delivery_log is not None:
            try:
                self.delivery_log.record(name, item.idents, datetime.now(UTC))
            except DeliveryLogError as exc:
                log.error("alerts: %s: delivered but not recorded (may resend): %s", name, exc)
