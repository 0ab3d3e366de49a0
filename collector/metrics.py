"""The collector's own metrics on ``/metrics`` (prometheus-client, its own registry).

Names end in base units; counters end in ``_total``. Readings per second is
``rate(veille_collector_readings_total[1m])``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


class CollectorMetrics:
    """Every self-metric the collector exports, on a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "veille_collector_messages_total", "MQTT messages by outcome", ["outcome"], registry=r
        )
        self.readings = Counter(
            "veille_collector_readings_total", "Readings stored, by path", ["path"], registry=r
        )
        self.rejects = Counter(
            "veille_collector_rejects_total",
            "Rejected messages by reason code",
            ["reason"],
            registry=r,
        )
        self.lag = Gauge(
            "veille_collector_lag_seconds",
            "Age of the newest stored message when stored",
            registry=r,
        )
        self.queue_depth = Gauge(
            "veille_collector_queue_depth", "Messages received but not yet stored", registry=r
        )
        self.spool_depth = Gauge(
            "veille_collector_sink_spool_bytes",
            "Time-series batches waiting on disk",
            registry=r,
        )
        self.sink_errors = Counter(
            "veille_collector_sink_errors_total", "Failed time-series writes", registry=r
        )
        self.snmp_errors = Counter(
            "veille_collector_snmp_errors_total",
            "SNMP poll failures by target",
            ["target"],
            registry=r,
        )
        self.snmp_rounds = Counter(
            "veille_collector_snmp_rounds_total", "SNMP polling rounds completed", registry=r
        )
        self.devices_online = Gauge(
            "veille_collector_devices_online", "Devices whose status is online", registry=r
        )

    def watch_sink(self, stats: Callable[[], Any]) -> None:
        """Export the time-series sink's counters, read from ``stats()`` at scrape time."""
        self.registry.register(_SinkCollector(stats))

    def watch_snmp(self, errors_by_target: Callable[[], dict[str, int]]) -> None:
        """Export SNMP poll failures per target, read from the poller at scrape time."""
        self.registry.register(_SnmpErrors(errors_by_target))

    def serve(self, host: str, port: int) -> int:
        """Serve /metrics on host:port (0 = a free port); returns the port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_address[1])


class _SinkCollector(Collector):
    def __init__(self, stats: Callable[[], Any]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        st = self._stats()
        for name, value, doc in (
            ("written", st.written_total, "Samples written to the time-series store"),
            ("spooled", st.spooled_total, "Samples spooled to disk while the store was down"),
            ("dropped", st.dropped_total, "Samples dropped (spool full, rejected by the store)"),
            ("errors", st.errors_total, "Failed writes to the time-series store"),
        ):
            yield CounterMetricFamily(f"veille_collector_sink_{name}", doc, value=value)
        yield GaugeMetricFamily(
            "veille_collector_sink_spool_bytes",
            "Batches waiting on disk, in bytes",
            value=st.spool.size_bytes,
        )


class _SnmpErrors(Collector):
    def __init__(self, errors: Callable[[], dict[str, int]]) -> None:
        self._errors = errors

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "veille_collector_snmp_errors", "SNMP poll failures by target", labels=["target"]
        )
        for target, n in sorted(self._errors().items()):
            family.add_metric([target], n)
        yield family
