"""The simulated datacentre: PUE around 1.4-1.8, PDUs carrying their servers, over real SNMP."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest

from collector.sim import servers as srv_model
from collector.sim.datacentre import WALKS_DIR, SimDatacentre
from collector.sim.fleet import Fleet
from collector.sim.office import PARIS
from collector.snmp.snmprec import Record
from tests.conftest import FIXTURES

SNMP_FIXTURES = FIXTURES / "snmp"


class _Values:
    """Keeps what the datacentre writes (the pure tests need no SNMP agent)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], int | str] = {}
        self.datasets: dict[str, int] = {}

    def add_dataset(self, community: str, records: Iterable[Record]) -> None:
        self.datasets[community] = len(list(records))

    def set_value(self, community: str, oid: str, value: int | str, tag: str | None = None) -> None:
        self.values[(community, oid)] = value


@pytest.fixture
def dc(fleet: Fleet) -> SimDatacentre:
    return SimDatacentre(fleet, _Values(), SNMP_FIXTURES)


def _times(day: date) -> list[datetime]:
    return [datetime(day.year, day.month, day.day, h, 20, tzinfo=PARIS) for h in range(0, 24, 2)]


@pytest.mark.parametrize("day", [date(2025, 11, 4), date(2025, 11, 8), date(2025, 7, 15)])
def test_facility_over_it_between_1_4_and_1_8(dc: SimDatacentre, day: date) -> None:
    ratios = [dc.powers_at(t).pue for t in _times(day)]
    assert all(1.4 <= r <= 1.8 for r in ratios)
    inputs = [dc.powers_at(t).ups_input_watts / dc.powers_at(t).it_watts for t in _times(day)]
    assert all(1.4 <= r <= 1.8 for r in inputs)
    # Cooling works harder in the afternoon than before dawn.
    afternoon = dc.cooling_overhead(datetime(day.year, day.month, day.day, 16, tzinfo=PARIS))
    dawn = dc.cooling_overhead(datetime(day.year, day.month, day.day, 5, tzinfo=PARIS))
    assert afternoon > dawn + 0.05


def test_pdus_carry_their_servers(dc: SimDatacentre, fleet: Fleet) -> None:
    ts = datetime(2025, 11, 4, 10, 3, tzinfo=UTC)
    p = dc.powers_at(ts)
    assert sorted(s for pdu in fleet.pdus for s in pdu.servers) == sorted(p.servers)
    for pdu in fleet.pdus:
        servers = sum(srv_model.power_at(fleet.server(s), ts) for s in pdu.servers)
        assert p.pdus[pdu.id] == pytest.approx(servers + p.gear[pdu.id])
        assert 0 < p.gear[pdu.id] < servers or pdu.walk == "sentry4"
    assert p.it_watts == pytest.approx(sum(p.pdus.values()))


def test_poe_follows_office_hours(dc: SimDatacentre) -> None:
    working = dc.powers_at(datetime(2025, 11, 4, 10, 30, tzinfo=PARIS)).poe_watts
    night = dc.powers_at(datetime(2025, 11, 4, 23, 30, tzinfo=PARIS)).poe_watts
    sunday = dc.powers_at(datetime(2025, 11, 9, 10, 30, tzinfo=PARIS)).poe_watts
    assert working > night + 10 and working > sunday + 10
    assert 40 < night < working < 110


def test_tick_writes_mib_units_and_integrates_energy(fleet: Fleet) -> None:
    values = _Values()
    dc = SimDatacentre(fleet, values, SNMP_FIXTURES)
    t0 = datetime(2025, 11, 4, 9, tzinfo=UTC)
    dc.tick(t0)
    inlet = "1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.{}"
    wh0 = int(values.values[("raritan-pdu_px2", inlet.format(8))])
    tenths0 = int(values.values[("sentry4", "1.3.6.1.4.1.1718.4.1.3.3.1.10.1.1")])
    assert tenths0 == 8937  # the recorded register, in tenths of kWh
    joules = {p.id: 0.0 for p in fleet.pdus}
    for minute in range(1, 121):
        before, now = t0 + timedelta(minutes=minute - 1), t0 + timedelta(minutes=minute)
        a, b = dc.powers_at(before), dc.tick(now)
        for p in fleet.pdus:
            joules[p.id] += (a.pdus[p.id] + b.pdus[p.id]) / 2 * 60
    pdu_a, pdu_b = fleet.pdus
    wh = int(values.values[("raritan-pdu_px2", inlet.format(8))])
    assert wh - wh0 == pytest.approx(joules[pdu_a.id] / 3600, abs=1.5)
    tenths = int(values.values[("sentry4", "1.3.6.1.4.1.1718.4.1.3.3.1.10.1.1")])
    assert tenths - tenths0 == pytest.approx(joules[pdu_b.id] / 360_000, abs=1)
    power = dc.powers_at(t0 + timedelta(minutes=120))
    assert values.values[("raritan-pdu_px2", inlet.format(5))] == pytest.approx(
        power.pdus[pdu_a.id], abs=6
    )
    # 3 decimal digits: the inlet current is in mA, about P / (233 V x 0.94).
    amps = int(values.values[("raritan-pdu_px2", inlet.format(1))]) / 1000
    assert amps == pytest.approx(power.pdus[pdu_a.id] / 233 / 0.94, rel=0.02)
    ticks = int(values.values[("sentry4", "1.3.6.1.2.1.1.3.0")])
    assert ticks == 2254567 + 120 * 60 * 100


def test_shipped_walks_are_the_recordings() -> None:
    expected = json.loads((SNMP_FIXTURES / "expected.json").read_text())
    sha = {d["name"]: d["snmprec_sha256"] for d in expected["devices"]}
    shipped = sorted(WALKS_DIR.glob("*.snmprec"))
    assert len(shipped) == 4
    for path in shipped:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha[path.stem]
    assert "GPL" in (WALKS_DIR / "README.md").read_text()


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("snmpget") is None, reason="net-snmp snmpget not installed")
def test_served_over_udp(fleet: Fleet) -> None:
    from collector.snmp.device import poll_device
    from collector.snmp.responder import SnmpResponder

    responder = SnmpResponder()
    dc = SimDatacentre(fleet, responder)  # the walks shipped in the package
    port = responder.start()
    try:
        now = datetime.now(UTC)
        power = dc.tick(now)
        pdu_a = fleet.pdus[0]
        out = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                pdu_a.walk,
                "-Oqv",
                "-t",
                "2",
                f"127.0.0.1:{port}",
                "1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.5",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        assert int(out.stdout) == pytest.approx(power.pdus[pdu_a.id], abs=6)

        targets = {t.device_id: t for t in dc.snmp_targets(port)}
        inventory = {d.id for d in fleet.inventory_devices()}
        assert set(targets) <= inventory
        expected = {
            pdu_a.id: power.pdus[pdu_a.id],
            fleet.pdus[1].id: power.pdus[fleet.pdus[1].id],
            fleet.facility.id: power.facility_watts,
            fleet.poe.id: power.poe_watts * 0.97,
        }

        async def poll_all() -> dict[str, float | None]:
            results = await asyncio.gather(
                *(poll_device(targets[d], timeout=2.0, retries=1) for d in expected)
            )
            return {r.device_id: r.power_watts for r in results}

        polled = asyncio.run(poll_all())
        for device_id, watts in expected.items():
            assert polled[device_id] == pytest.approx(watts, abs=6), device_id
        it = sum(polled[p.id] or 0.0 for p in fleet.pdus)
        assert 1.4 <= (polled[fleet.facility.id] or 0.0) / it <= 1.8
    finally:
        responder.stop()
