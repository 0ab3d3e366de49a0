"""The latest analysis figures as gauges on ``/metrics`` (reads :class:`Figures`, writes
Prometheus gauge families).

A custom collector with ``describe()``: the registry refuses a second registration of any of
these names. Values are set after each analysis run (``CollectorApp.refresh_figures``) and read
at scrape time; a figure the analysis could not compute (no IT energy, no recent meter
reading) has no series at all, never a 0. Names, labels and units:

| name | labels | unit |
|---|---|---|
| ``veille_power_now_watts`` | domain, quality (all, measured) | W |
| ``veille_energy_kwh`` | domain, period (today, quarter) | kWh |
| ``veille_measured_share`` | period | ratio 0..1 |
| ``veille_pue`` | datacentre, period (interim, annual), category | ratio |
| ``veille_pue_coverage`` | datacentre, period | ratio 0..1 |
| ``veille_pue_limit`` | datacentre | ratio |
| ``veille_pue_instant`` | datacentre | ratio, indicative only |
| ``veille_datacentre_power_watts`` | datacentre, side (it, facility) | W |
| ``veille_ref`` | datacentre | ratio 0..1 |
| ``veille_cue`` | datacentre, period, factor | kg CO2e per IT kWh |
| ``veille_devices_expected`` / ``veille_devices_reporting`` | kind | inventory devices |
| ``veille_devices_unlisted`` | | devices reporting, not in the inventory |
| ``veille_sleep_violations_open`` | domain | violations |
| ``veille_sleep_violation_windows`` | device_id, domain | windows in the last 7 days |
| ``veille_sleep_compliance_ratio`` | domain | compliant / (compliant + violated), 7 days |
| ``veille_sleep_windows`` | domain, outcome | sleep windows ended in the last 7 days |
| ``veille_sleep_kwh_wasted`` | domain, period (today, quarter) | kWh |
| ``veille_device_power_state`` | device_id, state | 1 for the last reported state |
| ``veille_figures_timestamp_seconds`` | | unix time of the analysis run |
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from collector.figures import Figures

_FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "veille_power_now_watts": ("Power now per domaine du SI", ("domain", "quality")),
    "veille_energy_kwh": ("kWh per domaine du SI over the period", ("domain", "period")),
    "veille_measured_share": ("Measured share of the kWh over the period", ("period",)),
    "veille_pue": ("PUE over the period (ISO/IEC 30134-2)", ("datacentre", "period", "category")),
    "veille_pue_coverage": ("Share of the hours the PUE rests on", ("datacentre", "period")),
    "veille_pue_limit": ("Contractual PUE limit", ("datacentre",)),
    "veille_pue_instant": ("Facility power / IT power now: indicative only", ("datacentre",)),
    "veille_datacentre_power_watts": ("IT and facility power now", ("datacentre", "side")),
    "veille_ref": ("Renewable energy factor (ISO/IEC 30134-3)", ("datacentre",)),
    "veille_cue": ("kg CO2e per IT kWh, per emission factor", ("datacentre", "period", "factor")),
    "veille_devices_expected": ("Devices the inventory expects to report", ("kind",)),
    "veille_devices_reporting": ("Devices with data in the last max_gap_seconds", ("kind",)),
    "veille_devices_unlisted": ("Devices reporting that the inventory does not list", ()),
    "veille_sleep_violations_open": ("Sleep violations open or ongoing", ("domain",)),
    "veille_sleep_violation_windows": (
        "Violated sleep windows per device over the last 7 days",
        ("device_id", "domain"),
    ),
    "veille_sleep_compliance_ratio": (
        "Sleep windows complied with / windows judged, last 7 days (unknown apart)",
        ("domain",),
    ),
    "veille_sleep_windows": ("Sleep windows by outcome, last 7 days", ("domain", "outcome")),
    "veille_sleep_kwh_wasted": ("kWh wasted in violated sleep windows", ("domain", "period")),
    "veille_device_power_state": ("1 for the device's last reported state", ("device_id", "state")),
    "veille_figures_timestamp_seconds": ("When these figures were computed (unix time)", ()),
}


def _families() -> dict[str, GaugeMetricFamily]:
    return {n: GaugeMetricFamily(n, doc, labels=list(lab)) for n, (doc, lab) in _FAMILIES.items()}


def families(f: Figures) -> dict[str, GaugeMetricFamily]:
    """The gauge families for ``f``, by name (each with its samples, maybe none)."""
    m = _families()
    for w in f.power:
        m["veille_power_now_watts"].add_metric([w.domain, "all"], w.watts)
        m["veille_power_now_watts"].add_metric([w.domain, "measured"], w.measured_watts)
    for e in f.energy:
        m["veille_energy_kwh"].add_metric([e.domain, e.period], e.kwh)
    for period in ("today", "quarter"):
        share = f.measured_share(period)
        if share is not None:
            m["veille_measured_share"].add_metric([period], share)
    ref_done: set[str] = set()
    for p in f.pue:
        if p.pue is not None:
            m["veille_pue"].add_metric([p.datacentre, p.period, p.category], p.pue)
        m["veille_pue_coverage"].add_metric([p.datacentre, p.period], p.coverage)
        if p.ref is not None and p.datacentre not in ref_done:
            m["veille_ref"].add_metric([p.datacentre], p.ref)
            ref_done.add(p.datacentre)
        for factor, kg in p.cue_kg_per_kwh:
            m["veille_cue"].add_metric([p.datacentre, p.period, factor], kg)
    for dc, limit in f.pue_limits:
        m["veille_pue_limit"].add_metric([dc], limit)
    for i in f.instant:
        if i.ratio is not None:
            m["veille_pue_instant"].add_metric([i.datacentre], i.ratio)
            m["veille_datacentre_power_watts"].add_metric([i.datacentre, "it"], i.it_watts)
            m["veille_datacentre_power_watts"].add_metric(
                [i.datacentre, "facility"], i.facility_watts
            )
    for kind, n in f.devices_expected:
        m["veille_devices_expected"].add_metric([kind], n)
    for kind, n in f.devices_reporting:
        m["veille_devices_reporting"].add_metric([kind], n)
    m["veille_devices_unlisted"].add_metric([], f.devices_unlisted)
    for domain, n in f.violations_open:
        m["veille_sleep_violations_open"].add_metric([domain], n)
    for device, domain, n in f.violation_windows:
        m["veille_sleep_violation_windows"].add_metric([device, domain], n)
    for c in f.compliance:
        if c.rate is not None:
            m["veille_sleep_compliance_ratio"].add_metric([c.domain], c.rate)
        for outcome, n in c.windows:
            m["veille_sleep_windows"].add_metric([c.domain, outcome], n)
        for period, kwh in c.kwh_wasted:
            m["veille_sleep_kwh_wasted"].add_metric([c.domain, period], kwh)
    for device, state in f.power_states:
        m["veille_device_power_state"].add_metric([device, state], 1)
    m["veille_figures_timestamp_seconds"].add_metric([], f.at.timestamp())
    return m


class FiguresCollector(Collector):
    """Exports the latest :class:`Figures`; nothing until the first analysis run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._figures: Figures | None = None

    def set(self, figures: Figures) -> None:
        with self._lock:
            self._figures = figures

    def describe(self) -> Iterator[Metric]:
        yield from _families().values()

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            figures = self._figures
        if figures is None:
            yield from _families().values()
            return
        yield from families(figures).values()
