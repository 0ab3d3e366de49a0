"""The collector's own metrics on ``/metrics`` (prometheus-client, its own registry).

Names end in base units; counters end in ``_total``. Readings per second is
``rate(veille_collector_readings_total[1m])``. Each name is registered once: plain metrics the
collector updates itself, two custom collectors that read the time-series sink and the
SNMP poller at scrape time, and the analysis' latest figures (PUE, kWh per domain, ...:
:mod:`collector.figures_metrics`). Those declare ``describe()``, so the registry refuses any second
registration of one of their names at start-up instead of exporting the series twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from collector.figures_metrics import FiguresCollector

if TYPE_CHECKING:
    from collector.sinks.timeseries import SinkStats


@dataclass(frozen=True, slots=True)
class SnmpStats:
    """What the SNMP poller has counted since start: failed polls per target, and samples
    read but not stored because storing them failed."""

    errors_by_target: dict[str, int] = field(default_factory=dict)
    samples_lost: int = 0


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
        self.snmp_rounds = Counter(
            "veille_collector_snmp_rounds_total", "SNMP polling rounds completed", registry=r
        )
        self.ledger_up = Gauge(
            "veille_collector_ledger_up",
            "1 while the ledger takes writes, 0 while it is unavailable (nothing is acknowledged)",
            registry=r,
        )
        self.ledger_failures = Counter(
            "veille_collector_ledger_failures_total",
            "Ledger commits that failed because the ledger was unavailable (retried)",
            registry=r,
        )
        self.broker_dropped = Gauge(
            "veille_collector_broker_dropped_messages",
            "Messages the broker dropped (queue or in-flight limits) since it started, from "
            "$SYS/broker/publish/messages/dropped; -1 while the broker has not said",
            registry=r,
        )
        self.broker_dropped.set(-1)
        self.devices_online = Gauge(
            "veille_collector_devices_online", "Devices whose status is online", registry=r
        )
        self._sink = _SinkCollector()
        self._snmp = _SnmpCollector()
        self.figures = FiguresCollector()  # the analysis' figures, set after each run
        r.register(self._sink)
        r.register(self._snmp)
        r.register(self.figures)

    def watch_sink(self, stats: Callable[[], SinkStats]) -> None:
        """Export the time-series sink's counters, read from ``stats()`` at scrape time."""
        self._sink.stats = stats

    def watch_snmp(self, stats: Callable[[], SnmpStats]) -> None:
        """Export the SNMP poller's counters, read from ``stats()`` at scrape time."""
        self._snmp.stats = stats

    def serve(self, host: str, port: int) -> int:
        """Serve /metrics on host:port (0 = a free port); returns the port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_address[1])


_SINK_COUNTERS = (
    ("written", "Samples written to the time-series store"),
    ("spooled", "Samples spooled to disk while the store was down"),
    ("dropped", "Samples dropped (spool full, rejected by the store)"),
    ("errors", "Failed writes to the time-series store"),
)
_SPOOL_BYTES = ("veille_collector_sink_spool_bytes", "Batches waiting on disk, in bytes")


class _SinkCollector(Collector):
    """The time-series sink's counters; zeros while no time-series store is configured."""

    def __init__(self) -> None:
        self.stats: Callable[[], SinkStats] | None = None

    def describe(self) -> Iterator[Metric]:
        for name, doc in _SINK_COUNTERS:
            yield CounterMetricFamily(f"veille_collector_sink_{name}", doc)
        yield GaugeMetricFamily(*_SPOOL_BYTES)

    def collect(self) -> Iterator[Metric]:
        st = self.stats() if self.stats else None
        values = (
            (st.written_total, st.spooled_total, st.dropped_total, st.errors_total)
            if st
            else (0, 0, 0, 0)
        )
        for (name, doc), value in zip(_SINK_COUNTERS, values, strict=True):
            yield CounterMetricFamily(f"veille_collector_sink_{name}", doc, value=value)
        yield GaugeMetricFamily(*_SPOOL_BYTES, value=st.spool.size_bytes if st else 0)


_SNMP_ERRORS = ("veille_collector_snmp_errors", "SNMP poll failures by target")
_SNMP_LOST = (
    "veille_collector_snmp_samples_lost",
    "SNMP samples read but not stored (storing them failed)",
)


class _SnmpCollector(Collector):
    """The SNMP poller's counters; none per target while nothing is polled."""

    def __init__(self) -> None:
        self.stats: Callable[[], SnmpStats] | None = None

    def describe(self) -> Iterator[Metric]:
        yield CounterMetricFamily(*_SNMP_ERRORS, labels=["target"])
        yield CounterMetricFamily(*_SNMP_LOST)

    def collect(self) -> Iterator[Metric]:
        st = self.stats() if self.stats else SnmpStats()
        errors = CounterMetricFamily(*_SNMP_ERRORS, labels=["target"])
        for target, n in sorted(st.errors_by_target.items()):
            errors.add_metric([target], n)
        yield errors
        yield CounterMetricFamily(*_SNMP_LOST, value=st.samples_lost)
