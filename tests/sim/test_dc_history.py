"""The datacentre's simulated history, polled over real SNMP at simulated times, through to
hourly kWh from the PDUs' own registers and an energy PUE with real coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector.analysis.energy import hourly_energy
from collector.analysis.pue import pue_by_datacentre
from collector.inventory import Inventory, load_inventory
from collector.model import Sample
from collector.sim.datacentre import SimDatacentre
from collector.sim.dc_history import replay_history
from collector.sim.fleet import Fleet, build_fleet
from collector.snmp.responder import SnmpResponder

pytestmark = pytest.mark.integration

START = datetime(2025, 11, 4, 0, 0, tzinfo=UTC)
END = START + timedelta(hours=6)
STEP = timedelta(minutes=15)


@pytest.fixture(scope="module")
def replayed() -> tuple[Fleet, list[Sample]]:
    fleet = build_fleet(7)
    responder = SnmpResponder()
    dc = SimDatacentre(fleet, responder)
    port = responder.start()
    try:
        written: list[Sample] = []
        report = replay_history(dc, dc.snmp_targets(port), START, END, written.extend)
    finally:
        responder.stop()
    assert (report.rounds, report.failures) == (25, 0), report.last_error
    assert report.samples == len(written)
    return fleet, written


def _truth_kwh(fleet: Fleet, pick: str, lo: datetime, hi: datetime) -> float:
    """The simulation's own energy: trapezoids of its power at the ticks (as its registers)."""
    dc = SimDatacentre(fleet, _Null())
    joules, t = 0.0, lo
    while t < hi:
        a, b = dc.powers_at(t), dc.powers_at(t + STEP)
        wa = a.pdus.get(pick, a.facility_watts)
        wb = b.pdus.get(pick, b.facility_watts)
        joules += (wa + wb) / 2 * STEP.total_seconds()
        t += STEP
    return joules / 3.6e6


class _Null:
    def add_dataset(self, community: str, records: object) -> None: ...

    def set_value(self, community: str, oid: str, value: object, tag: object = None) -> None: ...


def test_every_device_has_the_week_stamped_in_simulated_time(
    replayed: tuple[Fleet, list[Sample]],
) -> None:
    fleet, samples = replayed
    ids = {p.id for p in fleet.pdus} | {fleet.facility.id, fleet.poe.id}
    assert {s.device_id for s in samples} == ids
    for device_id in ids:
        times = sorted({s.ts for s in samples if s.device_id == device_id})
        # from the start to the end itself, where live polling takes over: no gap at the end
        assert times[0] == START and times[-1] == END and len(times) == 25


def test_pdu_kwh_comes_from_its_register_and_matches_the_simulation(
    replayed: tuple[Fleet, list[Sample]],
) -> None:
    fleet, samples = replayed
    lo, hi = START + timedelta(hours=1), START + timedelta(hours=5)
    for pdu in fleet.pdus:
        mine = [s for s in samples if s.device_id == pdu.id]
        rows = [r for r in hourly_energy(mine, max_gap_seconds=1800) if lo <= r.hour < hi]
        assert len(rows) == 4 and all(r.coverage == pytest.approx(1.0) for r in rows)
        assert all(r.source == "pdu_inlet" for r in rows), pdu.walk
        truth = _truth_kwh(fleet, pdu.id, lo, hi)
        # Raritan counts Wh, Sentry tenths of kWh: within a register step of the truth
        step = 0.1 if pdu.walk == "sentry4" else 0.001
        assert sum(r.kwh for r in rows) == pytest.approx(truth, abs=2 * step)


def test_the_replayed_week_gives_an_energy_pue_with_coverage(
    replayed: tuple[Fleet, list[Sample]], tmp_path: Path
) -> None:
    fleet, samples = replayed
    lo, hi = START + timedelta(hours=1), START + timedelta(hours=5)
    rows = []
    for device_id in {s.device_id for s in samples}:
        mine = [s for s in samples if s.device_id == device_id]
        rows += hourly_energy(mine, max_gap_seconds=1800, start=lo, end=hi)
    inventory = _inventory(fleet, tmp_path)
    [dc] = [p for p in pue_by_datacentre(rows, inventory, start=lo, end=hi) if p.pue is not None]
    assert dc.coverage == pytest.approx(1.0) and dc.hours == 4
    facility = _truth_kwh(fleet, "", lo, hi)
    assert dc.facility_kwh == pytest.approx(facility, rel=1e-2)
    assert 1.3 <= (dc.pue or 0) <= 1.9


def _inventory(fleet: Fleet, tmp_path: Path) -> Inventory:
    path = tmp_path / "inventory.toml"
    path.write_text(fleet.inventory_toml(), encoding="utf-8")
    return load_inventory(path)
