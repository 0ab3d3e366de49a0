"""What the broker says it dropped: Mosquitto's ``$SYS/broker/publish/messages/dropped``.

Messages beyond a session's ``max_queued_messages`` (or in-flight limits) are dropped by the
broker, not by the collector, and nothing else would say so. The total counts every client of
the broker, the collector's session among them. Mosquitto publishes this total
every ``sys_interval`` (10 s by default); the collector exports it on /metrics as
``veille_collector_broker_dropped_messages`` and logs a WARNING when it grows, at most once
per ``LOG_EVERY_SECONDS``. Other brokers publish no such topic: the gauge then stays absent
(-1). The collector's broker user needs read access to that topic.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from collector.metrics import CollectorMetrics

log = logging.getLogger(__name__)

TOPIC = "$SYS/broker/publish/messages/dropped"
LOG_EVERY_SECONDS = 300.0


class BrokerDrops:
    """Reads the broker's drop total from its $SYS messages (MQTT thread only)."""

    def __init__(
        self, metrics: CollectorMetrics, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.metrics = metrics
        self.clock = clock
        self.total: int | None = None
        self._logged_at = -LOG_EVERY_SECONDS

    def handle(self, payload: bytes) -> None:
        """One $SYS message: a decimal count. Anything else is ignored (said at DEBUG)."""
        try:
            total = int(payload.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            log.debug("unreadable %s payload: %r", TOPIC, payload[:40])
            return
        previous, self.total = self.total, total
        self.metrics.broker_dropped.set(total)
        grew = total > 0 and (previous is None or total > previous)
        if grew and self.clock() - self._logged_at >= LOG_EVERY_SECONDS:
            log.warning(
                "the broker has dropped %d messages since it started (queue or in-flight "
                "limits: raise Mosquitto's max_queued_messages; README, Delivery)",
                total,
            )
            self._logged_at = self.clock()
