"""The ledger's side of :mod:`collector.alerts.facility` and :mod:`collector.alerts.poe_alerts`:
reads what those alert events need (datacentre meters' hourly kWh, always-on devices' report
times, access-point ports' power samples when ``[policy.poe]`` is set) after each analysis run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collector.alerts.events import AlertEvent
from collector.alerts.facility import Place, PuePoint, pue_events, silent_events
from collector.alerts.poe_alerts import PortNight, poe_events
from collector.analysis.poe import find_poe_violations
from collector.analysis.pue import pue_by_datacentre
from collector.analysis.windows import windows_between
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import Ledger
from contract.kinds import always_on


@dataclass(frozen=True, slots=True)
class Watched:
    """What one run found: every event (open and resolved), and the still-open ones."""

    events: tuple[AlertEvent, ...]
    still_open: tuple[AlertEvent, ...]


def pue_limit(cfg: CollectorConfig, datacentre: str) -> float:
    """The datacentre's contractual PUE limit: its own, else ``analysis.pue_limit``."""
    return cfg.analysis.pue_limits.get(datacentre, cfg.analysis.pue_limit)


def pue_points(
    ledger: Ledger, inventory: Inventory, cfg: CollectorConfig, now: datetime
) -> list[PuePoint]:
    """PUE over the trailing ``alerts.pue_window_hours`` at the end of each whole hour of the
    analysis period, per datacentre (datacentre meters' rows only)."""
    meters = [d for d in inventory.devices.values() if d.datacentre and d.pue_role != "none"]
    if not meters:
        return []
    window = timedelta(hours=cfg.alerts.pue_window_hours)
    last = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=int(cfg.analysis.lookback_hours))
    rows = [r for d in meters for r in ledger.hourly_of(d.id, first - window, last)]
    points = []
    at = first
    while at <= last:
        for r in pue_by_datacentre(
            rows,
            inventory,
            start=at - window,
            end=at,
            min_hour_coverage=cfg.analysis.pue_min_hour_coverage,
        ):
            points.append(PuePoint(r.datacentre, at, r.pue, r.coverage))
        at += timedelta(hours=1)
    return points


def poe_nights(ledger: Ledger, cfg: CollectorConfig, now: datetime) -> list[PortNight]:
    """Each access-point port's outcome in each complete window of the analysis period
    (and the day before it), from its power samples; empty without ``[policy.poe]``."""
    poe = cfg.policy.poe
    if poe is None:
        return []
    since = now - timedelta(hours=cfg.analysis.lookback_hours) - timedelta(days=1)
    windows = [
        w
        for w in windows_between(since, now, cfg.policy.groups[poe.group], cfg.policy)
        if w[0] >= since and w[1] <= now
    ]
    out: list[PortNight] = []
    for device_id, ports in sorted(poe.access_point_ports.items()):
        wanted = set(ports)
        samples = [
            s
            for s in ledger.samples_for(device_id, since, now)
            if s.metric == "power_watts" and s.component in wanted
        ]
        found = find_poe_violations(
            samples, cfg.policy, max_gap_seconds=cfg.analysis.max_gap_seconds
        )
        by_night = {(v.component, v.window_start): v for v in found}
        for port in sorted(wanted):
            times = [s.ts for s in samples if s.component == port]
            for w in windows:
                judged = any(w[0] <= t < w[1] for t in times)
                out.append(PortNight(device_id, port, w, by_night.get((port, w[0])), judged))
    return out


def watch(ledger: Ledger, inventory: Inventory, cfg: CollectorConfig, now: datetime) -> Watched:
    """The ``pue_above_limit``, ``device_silent`` and ``poe_night_draw`` events at ``now``."""
    points = pue_points(ledger, inventory, cfg, now)
    dcs = sorted({p.datacentre for p in points})
    dc_place: dict[str, Place] = {}
    for d in inventory.devices.values():
        if d.datacentre and d.datacentre not in dc_place:
            dc_place[d.datacentre] = Place(d.effective_domain, d.site or "unknown")
    pue_all, pue_open = pue_events(points, {dc: pue_limit(cfg, dc) for dc in dcs}, dc_place)

    kinds = always_on()
    ids = {d.id for d in inventory.devices.values() if d.kind in kinds}
    sites = {}
    for rec in ledger.devices():
        if inventory.get(rec.device_id) is None and rec.kind in kinds:
            ids.add(rec.device_id)
        if rec.site:
            sites[rec.device_id] = rec.site
    start = now - timedelta(hours=cfg.analysis.lookback_hours)
    after = timedelta(minutes=cfg.alerts.silent_after_minutes)
    reports = ledger.report_times(sorted(ids), start, now + timedelta(microseconds=1), after)
    places, dcs_of = {}, {}
    for i in ids:
        dev = inventory.get(i)
        site = (dev.site if dev else "") or sites.get(i) or "unknown"
        places[i] = Place(inventory.domain_of(i), site)
        if dev is not None and dev.datacentre:
            dcs_of[i] = dev.datacentre
    silent_all, silent_open = silent_events(
        reports,
        now=now,
        silent_after=after,
        places=places,
        datacentres=dcs_of,
    )
    poe_places = {
        device_id: Place(inventory.domain_of(device_id), sites.get(device_id) or "unknown")
        for device_id in (cfg.policy.poe.access_point_ports if cfg.policy.poe else {})
    }
    for device_id in poe_places:
        dev = inventory.get(device_id)
        if dev is not None and dev.site:
            poe_places[device_id] = Place(poe_places[device_id].domain, dev.site)
    poe_all, poe_open = poe_events(poe_nights(ledger, cfg, now), poe_places)
    return Watched(tuple(pue_all + silent_all + poe_all), tuple(pue_open + silent_open + poe_open))
