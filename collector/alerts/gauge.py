"""Prometheus gauge of open sleep-policy violations, for Grafana alerting.

``veille_sleep_violation_open{device_id,domain,site,group}`` is 1 while a device has at least
one open violation, of a sleep window or of its settings; the series disappears when its last
violation resolves. It is a custom collector with ``describe()`` on the collector's own
registry, so the registry refuses a second registration of the name. State lives in memory: the
dispatcher's ``refresh`` re-asserts the open violations after a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from collector.alerts.events import OPEN_VIOLATIONS, RESOLUTIONS, AlertEvent, Batch

NAME = "veille_sleep_violation_open"
LABELS = ("device_id", "domain", "site", "group")
_KINDS = OPEN_VIOLATIONS | RESOLUTIONS


class ViolationGauge(Collector):
    """The ``gauge`` channel: keeps the set of open violations per device."""

    name = "gauge"
    stateful = True

    def __init__(self, registry: CollectorRegistry) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str, str, str], set[str]] = {}
        registry.register(self)

    def send(self, batch: Batch) -> None:
        with self._lock:
            for e in batch.events:
                if e.device_id is None or e.kind not in _KINDS:
                    continue
                ident = (e.device_id, e.domain, e.site, e.group)
                if e.kind in OPEN_VIOLATIONS and not e.resolved:
                    self._open.setdefault(ident, set()).add(e.key)
                else:
                    self._drop(ident, e)

    def _drop(self, ident: tuple[str, str, str, str], e: AlertEvent) -> None:
        keys = self._open.get(ident)
        if keys is None:
            return
        keys.discard(e.key)
        if not keys:
            del self._open[ident]

    def open_devices(self) -> list[tuple[str, str, str, str]]:
        with self._lock:
            return sorted(self._open)

    def describe(self) -> Iterator[Metric]:
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        for ident in self.open_devices():
            family.add_metric(list(ident), 1)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            NAME, "1 while the device has an open sleep-policy violation", labels=list(LABELS)
        )
