"""What the Ingestor holds of a message (:class:`Raw` as received, :class:`Item` once read),
and what it does once a batch is committed (:class:`AfterCommit`): count, send the stored
readings to the time-series sink, then acknowledge every message of the batch to the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from collector.ingest.ratelog import RateLimitedLog
from collector.ledger.messages import Accepted, Rejection, StatusChange
from collector.ledger.store import StoreResult
from collector.metrics import CollectorMetrics
from collector.sinks import Sink

log = logging.getLogger("collector.ingest.pipeline")  # the Ingestor's lines, as before


@dataclass(frozen=True, slots=True)
class Raw:
    """One message as received; ``ack`` tells the broker it is stored (None: nothing to do)."""

    topic: str
    payload: bytes
    received_at: datetime
    ack: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """A message read and sorted: exactly one of accepted, status or rejection is set."""

    raw: Raw
    accepted: Accepted | None = None
    status: StatusChange | None = None
    rejection: Rejection | None = None
    code: str = ""  # the rejection's metric label


class AfterCommit:
    """The Ingestor's step after each commit (on the committing thread, or the
    acknowledging stage's with a writer process)."""

    def __init__(
        self, metrics: CollectorMetrics, sink: Sink | None, count_online: Callable[[], int]
    ) -> None:
        self.metrics = metrics
        self.sink = sink
        self._count_online = count_online
        self._rejections = RateLimitedLog(
            log, what="rejections (see veille-collector dead-letters)"
        )

    def __call__(self, part: Sequence[Item], result: StoreResult) -> None:
        """After the commit of ``part``: count, send to the time-series sink, acknowledge."""
        accepted = [i.accepted for i in part if i.accepted is not None]
        m = self.metrics.messages
        m.labels("stored").inc(result.stored_messages)
        m.labels("duplicate").inc(result.duplicates - len(result.conflicts))
        m.labels("conflict").inc(len(result.conflicts))
        if result.conflicts:  # one line per batch, not per message: a spoofer could flood
            first = accepted[result.conflicts[0]].message
            devices = sorted({accepted[c].message.device_id for c in result.conflicts})
            log.warning(
                "%d messages came again with other content (conflicts, e.g. %s seq %d epoch "
                "%s; devices %s): kept as dead letters, not stored",
                len(result.conflicts),
                first.device_id,
                first.seq,
                first.epoch or "none",
                ", ".join(devices[:10]) + (" …" if len(devices) > 10 else ""),
            )
        self.metrics.readings.labels("mqtt").inc(result.samples)
        statuses = 0
        for i in part:
            if i.rejection is not None:
                self.metrics.rejects.labels(i.code).inc()
                m.labels("rejected").inc()
                self._rejections.warning(
                    "rejected %r: %s", i.rejection.topic[:200], i.rejection.reason
                )
            elif i.status is not None:
                statuses += 1
        m.labels("status").inc(statuses)
        if accepted:
            freshest = min(a.received_at - a.message.sent_at for a in accepted)
            self.metrics.lag.set(max(freshest, timedelta(0)).total_seconds())
        if self.sink is not None and result.samples:
            stored = [accepted[i] for i in result.stored]
            readings = [(a.message.device_id, a.message.readings) for a in stored]
            extra = [s for a in stored for s in a.extra_samples]
            try:
                self.sink.write_readings(readings)
                if extra:
                    self.sink.write(extra)
            except RuntimeError as exc:  # a closed or dead sink; the ledger has them
                log.error("time-series sink did not take %d samples: %s", result.samples, exc)
        for i in part:
            if i.raw.ack is not None:
                i.raw.ack()
        if statuses:
            try:
                self.metrics.devices_online.set(self._count_online())
            except Exception as exc:  # a gauge; the next status message sets it again
                log.debug("devices online not counted: %s", exc)
