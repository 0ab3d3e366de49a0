"""Optional local ``/metrics``: the last round's readings in Prometheus text format.

Serves what the loop last read (``veille_<metric>{source, quality, component}``) and never
touches the hardware on a scrape, so a scraper cannot make the agent cost more. Its own
``CollectorRegistry``; listens on 127.0.0.1 unless configured otherwise. prometheus-client is
imported only when this is enabled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from contract.wire import Reading, StateBlock


class LastReadings:
    """A prometheus-client collector over a snapshot of readings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readings: list[Reading] = []
        self._state: StateBlock | None = None

    def update(self, readings: list[Reading], state: StateBlock | None = None) -> None:
        with self._lock:
            self._readings = list(readings)
            self._state = state

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        with self._lock:
            readings, state = self._readings, self._state
        labels = ["source", "quality", "component"]
        families: dict[str, Any] = {}
        for r in readings:
            name = "veille_" + r.metric
            fam = families.get(name)
            if fam is None:
                if name.endswith("_total"):
                    fam = CounterMetricFamily(name[: -len("_total")], r.metric, labels=labels)
                else:
                    fam = GaugeMetricFamily(name, r.metric, labels=labels)
                families[name] = fam
            fam.add_metric([r.source, r.quality.value, r.component or ""], r.value)
        yield from families.values()
        if state is not None and state.idle_seconds is not None:
            yield GaugeMetricFamily(
                "veille_idle_seconds", "Seconds since the last user input", value=state.idle_seconds
            )
        if state is not None:
            blockers = GaugeMetricFamily(
                "veille_sleep_blockers",
                "Sleep blockers in the last round",
                value=len(state.sleep_blockers),
            )
            yield blockers


class MetricsServer:
    """An HTTP server for ``/metrics`` on ``host:port`` (port 0 picks one)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from prometheus_client import CollectorRegistry, start_http_server

        self.readings = LastReadings()
        self.registry = CollectorRegistry()
        self.registry.register(self.readings)  # type: ignore[arg-type]
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        self.host = host
        self.port = int(self._server.server_address[1])

    def update(self, readings: list[Reading], state: StateBlock) -> None:
        self.readings.update(readings, state)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
