"""The dashboards' kWh per domain (today, quarter so far) come from the daily roll-up, and
equal what the hourly rows say (:func:`kwh_by_domain` over every hourly row of the period),
for a simulated fleet with servers behind PDUs (nested meters) and workstations."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collector.analysis.periods import period_of
from collector.analysis.rollup import kwh_by_domain
from collector.config import CollectorConfig
from collector.figures import compute_figures
from collector.inventory import Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.sim.fleet import build_fleet
from tests.collector.test_job_chunks import END, START, fill


def test_figures_kwh_per_domain_equal_the_hourly_rows(tmp_path: Path) -> None:
    fleet = build_fleet(11, desktops=6, laptops=3, servers=3, today=END.date())
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    fill(url, fleet)
    inventory = Inventory(fleet.inventory_devices())
    cfg = CollectorConfig.model_validate({"mqtt": {"embedded": False}})
    ledger = Ledger(url)
    recompute(ledger, inventory, cfg, start=START, end=END, now=END)
    figures = compute_figures(ledger, inventory, cfg, now=END)
    local_day = END.astimezone(ZoneInfo(cfg.policy.timezone)).date()
    tz = cfg.policy.timezone
    for label, start in (
        ("today", period_of("day", local_day, tz).start),
        ("quarter", period_of("quarter", local_day, tz).start),
    ):
        want = {
            d.domain: (d.kwh, d.measured_kwh)
            for d in kwh_by_domain(ledger.hourly(start, END), inventory)
        }
        got = {e.domain: (e.kwh, e.measured_kwh) for e in figures.energy if e.period == label}
        assert len(want) >= 2 and all(k > 0 for k, _m in want.values())
        assert got.keys() == want.keys()
        for domain, (kwh, measured) in want.items():
            assert got[domain][0] == pytest.approx(kwh, rel=1e-12), (label, domain)
            assert got[domain][1] == pytest.approx(measured, rel=1e-12), (label, domain)
    assert any(p.period == "interim" for p in figures.pue)
    ledger.close()
