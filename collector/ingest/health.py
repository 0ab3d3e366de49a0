"""Whether the ledger takes writes, said once per change: one ERROR when it stops, one
WARNING when it is back, and on /metrics (``veille_collector_ledger_up`` 1 or 0,
``veille_collector_ledger_failures_total`` counting every failed commit), never a line per
message or per retry.
"""

from __future__ import annotations

import logging
import time

from collector.metrics import CollectorMetrics

log = logging.getLogger(__name__)


class LedgerHealth:
    """The ingest worker's view of the ledger; only that thread calls it."""

    def __init__(self, metrics: CollectorMetrics, retry_max_seconds: float) -> None:
        self.metrics = metrics
        self.retry_max_seconds = retry_max_seconds
        self.up = True
        self._down_since = 0.0
        self._failures = 0
        metrics.ledger_up.set(1)

    def failed(self, reason: str, held: int) -> None:
        """A commit failed because the ledger is unavailable; ``held`` messages wait."""
        self.metrics.ledger_failures.inc()
        self._failures += 1
        if self.up:
            self.up = False
            self._down_since = time.monotonic()
            self.metrics.ledger_up.set(0)
            log.error(
                "ledger unavailable (%s): holding %d messages unacknowledged, the broker keeps "
                "the rest; retrying every %.0f s at most",
                reason,
                held,
                self.retry_max_seconds,
            )

    def committed(self) -> None:
        """A commit went through."""
        if not self.up:
            self.up = True
            self.metrics.ledger_up.set(1)
            log.warning(
                "ledger back after %.1f s and %d failed commits: storing and acknowledging again",
                time.monotonic() - self._down_since,
                self._failures,
            )
            self._failures = 0
