"""The dispatcher's counters on the collector's registry, counted in events (a digest counts
its events); see :mod:`collector.alerts.dispatcher` for what each one means."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class DeliveryCounters:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.delivered = Counter(
            "veille_alert_deliveries", "Alert events delivered", ["channel"], registry=r
        )
        self.failed = Counter(
            "veille_alert_deliveries_failed",
            "Alert events in failed delivery attempts (retried or not)",
            ["channel"],
            registry=r,
        )
        self.dropped = Counter(
            "veille_alert_deliveries_dropped",
            "Alert events given up, by reason",
            ["channel", "reason"],
            registry=r,
        )
        self.depth = Gauge(
            "veille_alert_queue_batches", "Batches waiting per channel", ["channel"], registry=r
        )
