"""The datacentre and the office PoE midspan over real SNMP, from recorded walks of real devices.

Serves four LibreNMS recordings through an SNMP responder (community = walk name) and drives
their power objects from the simulation, in the units of each MIB:

- rack PDU A, Raritan PX2 (PDU2-MIB): inlet and outlet sensors; W, current in mA (3 decimal
  digits), and an inlet active-energy sensor in Wh added (type 8, absent from the walk);
- rack PDU B, Server Technology Sentry 4 (Sentry4-MIB): cord active power W, apparent power
  VA, utilisation in tenths of %, energy in tenths of kWh; phases and lines scaled alike;
- the room's UPS, Delta/Minuteman (RFC 1628 UPS-MIB), as the facility meter: it feeds the
  whole room (the PDUs, the in-row cooling, the lights), so upsOutputPower (W) is E_DC: IT
  load times a cooling overhead that follows the day. upsInputTruePower (W, added) is that
  plus the UPS's own losses; the collector's UPS-MIB profile reads the output;
- the PoE midspan, Microsemi PowerDsine (POWER-ETHERNET-MIB): PoE delivered in W, per port
  and in total, higher in office hours (phones lit, busier access points).

sysUpTime (1/100 s) and snmpEngineTime (s) advance. :meth:`SimDatacentre.powers_at` is pure;
:meth:`SimDatacentre.tick` integrates the energy registers and writes the values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from collector.config import SnmpTarget
from collector.sim import servers as srv_model
from collector.sim.draws import jitter, rng
from collector.sim.fleet import Fleet
from collector.sim.office import PARIS, present
from collector.snmp.snmprec import Record, load_snmprec

WALKS_DIR = Path(__file__).parent / "walks"

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"  # TimeTicks, 1/100 s
ENGINE_TIME = "1.3.6.1.6.3.10.2.1.3.0"  # INTEGER, s
GAUGE, INTEGER = "66", "2"

RARITAN_INLET = "1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.{sensor}"
RARITAN_INLET_DIGITS = "1.3.6.1.4.1.13742.6.3.3.4.1.7.1.1.{sensor}"
RARITAN_OUTLET = "1.3.6.1.4.1.13742.6.5.4.3.1.4.1.{outlet}.{sensor}"
RMS_CURRENT, RMS_VOLTAGE, ACTIVE_POWER, ACTIVE_ENERGY = 1, 4, 5, 8
RARITAN_OUTLETS = 12
RARITAN_VOLTS, POWER_FACTOR = 233.0, 0.94

SENTRY_CORD = "1.3.6.1.4.1.1718.4.1.3.3.1.{col}.1.1"
CORD_POWER, CORD_VA, CORD_UTILISED, CORD_PF, CORD_ENERGY = 3, 5, 7, 8, 10
SENTRY_CAPACITY_VA = 10807  # st4InputCordPowerCapacity in the walk
#: Breakdowns of the cord's power (phase W, phase current, line current): scaled with it.
SENTRY_SCALED = tuple(
    [f"1.3.6.1.4.1.1718.4.1.5.3.1.{c}.1.1.{p}" for c in (6, 8) for p in (1, 2, 3)]
    + [f"1.3.6.1.4.1.1718.4.1.4.3.1.3.1.1.{line}" for line in (1, 2, 3)]
)

UPS_OUTPUT_CURRENT = "1.3.6.1.2.1.33.1.4.4.1.3.1"  # 0.1 A RMS
UPS_OUTPUT_POWER = "1.3.6.1.2.1.33.1.4.4.1.4.1"  # W
UPS_OUTPUT_LOAD = "1.3.6.1.2.1.33.1.4.4.1.5.1"  # % of rated
UPS_OUTPUT_VOLTAGE = "1.3.6.1.2.1.33.1.4.4.1.2.1"  # V
UPS_INPUT_CURRENT = "1.3.6.1.2.1.33.1.3.3.1.4.1"  # 0.1 A RMS (added)
UPS_INPUT_POWER = "1.3.6.1.2.1.33.1.3.3.1.5.1"  # W (added)
UPS_RATED_VA, UPS_RATED_W = "1.3.6.1.2.1.33.1.9.5.0", "1.3.6.1.2.1.33.1.9.6.0"  # (added)
UPS_RATING_W, UPS_EFFICIENCY = 6000, 0.95

POE_PORT = "1.3.6.1.4.1.7428.1.2.1.1.1.3.1.{port}"  # W
POE_MAIN = "1.3.6.1.2.1.105.1.3.1.1.4.1"  # pethMainPseConsumptionPower, W
POE_MAIN_SHARE = 0.97  # the walk's main figure is 69 W for ports summing to 71 W

JOULES_PER_WH = 3600.0


class Responder(Protocol):
    """What the simulation needs of ``collector.snmp.responder.SnmpResponder``."""

    def add_dataset(self, community: str, records: Iterable[Record]) -> None: ...

    def set_value(
        self, community: str, oid: str, value: int | str, tag: str | None = None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class DcPower:
    """Power (W) everywhere at one instant; ``pdus`` maps a PDU id to its input power."""

    servers: dict[str, float]
    gear: dict[str, float]
    pdus: dict[str, float]
    it_watts: float
    facility_watts: float  # the UPS output: the room's whole load
    ups_input_watts: float
    poe_ports: tuple[float, ...]
    poe_watts: float

    @property
    def pue(self) -> float:
        """Instantaneous facility/IT ratio: indicative only (DOMAIN.md)."""
        return self.facility_watts / self.it_watts


class SimDatacentre:
    """Recorded devices served over SNMP, with power values driven by ``fleet``."""

    def __init__(self, fleet: Fleet, responder: Responder, walks_dir: Path | None = None) -> None:
        self.fleet = fleet
        self.responder = responder
        self.walks_dir = walks_dir or WALKS_DIR
        walks = [p.walk for p in fleet.pdus] + [fleet.facility.walk, fleet.poe.walk]
        self.recorded: dict[str, dict[str, str]] = {}
        for name in dict.fromkeys(walks):
            records = load_snmprec(self.walks_dir / f"{name}.snmprec")
            responder.add_dataset(name, records)
            self.recorded[name] = {".".join(map(str, r.oid)): r.value for r in records}
        r = rng(fleet.seed, fleet.datacentre, "registers")
        sentry = int(self.recorded.get("sentry4", {}).get(SENTRY_CORD.format(col=CORD_ENERGY), 0))
        self._joules: dict[str, float] = {
            "raritan-pdu_px2": r.uniform(2e6, 6e6) * JOULES_PER_WH,
            "sentry4": sentry * 0.1 * 1000 * JOULES_PER_WH,
        }
        self._first: datetime | None = None
        self._last: tuple[datetime, DcPower] | None = None

    # -- pure --------------------------------------------------------------------------------

    def cooling_overhead(self, ts: datetime) -> float:
        """E_DC / E_IT at ``ts``: lowest before dawn, highest in the late afternoon."""
        local = ts.astimezone(PARIS)
        h = local.hour + local.minute / 60
        warm = 0.5 - 0.5 * math.cos(2 * math.pi * (h - 5) / 24)
        fac = self.fleet.facility
        return (
            fac.pue_base
            + fac.pue_swing * warm
            + jitter(0.01, self.fleet.seed, fac.id, ts.timestamp() // 60)
        )

    def occupancy(self, ts: datetime) -> float:
        """Share of the office's workstations with a user at them (0..1)."""
        stations = self.fleet.workstations
        return sum(present(w, ts) for w in stations) / len(stations) if stations else 0.0

    def powers_at(self, ts: datetime) -> DcPower:
        """Every power figure at ``ts`` (W)."""
        servers = {s.id: srv_model.power_at(s, ts) for s in self.fleet.servers}
        gear = {
            p.id: p.gear_watts + jitter(2.0, self.fleet.seed, p.id, ts.timestamp() // 60)
            for p in self.fleet.pdus
        }
        pdus = {p.id: gear[p.id] + sum(servers[s] for s in p.servers) for p in self.fleet.pdus}
        it = sum(pdus.values())
        facility = it * self.cooling_overhead(ts)
        busy = self.occupancy(ts)
        poe = self.fleet.poe
        minute = ts.timestamp() // 60
        ports = tuple(
            (6.0 + 3.0 * busy if i < poe.access_points else 3.2 + 2.0 * busy)
            + jitter(0.4, self.fleet.seed, poe.id, i, minute)
            for i in range(poe.access_points + poe.phones)
        )
        return DcPower(
            servers=servers,
            gear=gear,
            pdus=pdus,
            it_watts=it,
            facility_watts=facility,
            ups_input_watts=facility / UPS_EFFICIENCY,
            poe_ports=ports,
            poe_watts=sum(ports),
        )

    def snmp_targets(self, port: int, host: str = "127.0.0.1") -> list[SnmpTarget]:
        """The collector's SNMP targets: device ids match the inventory, community = walk."""
        devices = [(p.id, p.walk) for p in self.fleet.pdus]
        devices += [(self.fleet.facility.id, self.fleet.facility.walk)]
        devices += [(self.fleet.poe.id, self.fleet.poe.walk)]
        return [
            SnmpTarget(device_id=d, host=host, port=port, community=SecretStr(walk))
            for d, walk in devices
        ]

    # -- writes --------------------------------------------------------------------------------

    def tick(self, now: datetime) -> DcPower:
        """Advance uptimes and energy registers to ``now`` and write every value."""
        power = self.powers_at(now)
        if self._first is None:
            self._first = now
        if self._last is not None and now > self._last[0]:
            then, before = self._last
            dt = (now - then).total_seconds()
            for pdu in self.fleet.pdus:
                self._joules[pdu.walk] = (
                    self._joules.get(pdu.walk, 0.0)
                    + dt * (before.pdus[pdu.id] + power.pdus[pdu.id]) / 2
                )
        if self._last is None or now > self._last[0]:
            self._last = (now, power)
        elapsed = (now - self._first).total_seconds()
        for name, recorded in self.recorded.items():
            self._uptime(name, recorded, elapsed)
        for pdu in self.fleet.pdus:
            if pdu.walk == "raritan-pdu_px2":
                self._raritan(pdu.walk, pdu.id, power)
            elif pdu.walk == "sentry4":
                self._sentry(pdu.walk, power.pdus[pdu.id])
        self._ups(self.fleet.facility.walk, power)
        self._poe(self.fleet.poe.walk, power)
        return power

    def _set(self, name: str, oid: str, value: int, tag: str | None = None) -> None:
        self.responder.set_value(name, oid, value, tag)

    def _uptime(self, name: str, recorded: dict[str, str], elapsed: float) -> None:
        if SYS_UPTIME in recorded:
            self._set(name, SYS_UPTIME, (int(recorded[SYS_UPTIME]) + round(elapsed * 100)) % 2**32)
        if ENGINE_TIME in recorded:
            self._set(name, ENGINE_TIME, int(recorded[ENGINE_TIME]) + int(elapsed))

    def _raritan(self, name: str, pdu_id: str, power: DcPower) -> None:
        pdu = next(p for p in self.fleet.pdus if p.id == pdu_id)
        outlets = dict.fromkeys(range(1, RARITAN_OUTLETS + 1), 0.0)
        outlets[pdu.gear_outlet] += power.gear[pdu_id]
        for s in pdu.servers:
            outlets[self.fleet.server(s).outlet] += power.servers[s]
        watts = {o: round(w) for o, w in outlets.items()}
        amps = {o: round(w / (RARITAN_VOLTS * POWER_FACTOR) * 1000) for o, w in outlets.items()}
        for o in outlets:
            self._set(name, RARITAN_OUTLET.format(outlet=o, sensor=ACTIVE_POWER), watts[o])
            self._set(name, RARITAN_OUTLET.format(outlet=o, sensor=RMS_CURRENT), amps[o])
        self._set(name, RARITAN_INLET.format(sensor=ACTIVE_POWER), sum(watts.values()))
        self._set(name, RARITAN_INLET.format(sensor=RMS_CURRENT), sum(amps.values()))
        wh = int(self._joules[name] // JOULES_PER_WH)
        self._set(name, RARITAN_INLET.format(sensor=ACTIVE_ENERGY), wh, GAUGE)
        self._set(name, RARITAN_INLET_DIGITS.format(sensor=ACTIVE_ENERGY), 0, GAUGE)

    def _sentry(self, name: str, watts: float) -> None:
        recorded = self.recorded[name]
        base = int(recorded[SENTRY_CORD.format(col=CORD_POWER)])
        pf = int(recorded[SENTRY_CORD.format(col=CORD_PF)]) / 100
        va = watts / pf
        self._set(name, SENTRY_CORD.format(col=CORD_POWER), round(watts))
        self._set(name, SENTRY_CORD.format(col=CORD_VA), round(va))
        self._set(
            name, SENTRY_CORD.format(col=CORD_UTILISED), round(va / SENTRY_CAPACITY_VA * 1000)
        )
        tenths_kwh = int(self._joules[name] // (100 * JOULES_PER_WH))
        self._set(name, SENTRY_CORD.format(col=CORD_ENERGY), tenths_kwh)
        for oid in SENTRY_SCALED:
            self._set(name, oid, round(int(recorded[oid]) * watts / base))

    def _ups(self, name: str, power: DcPower) -> None:
        volts = int(self.recorded[name].get(UPS_OUTPUT_VOLTAGE, "230"))
        out, inp = power.facility_watts, power.ups_input_watts
        self._set(name, UPS_OUTPUT_POWER, round(out))
        self._set(name, UPS_OUTPUT_CURRENT, round(out / volts * 10))
        self._set(name, UPS_OUTPUT_LOAD, round(out / UPS_RATING_W * 100))
        self._set(name, UPS_INPUT_POWER, round(inp), INTEGER)
        self._set(name, UPS_INPUT_CURRENT, round(inp / volts * 10), INTEGER)
        self._set(name, UPS_RATED_W, UPS_RATING_W, INTEGER)
        self._set(name, UPS_RATED_VA, round(UPS_RATING_W / 0.8), INTEGER)

    def _poe(self, name: str, power: DcPower) -> None:
        watts = [round(w) for w in power.poe_ports]
        for port, w in enumerate(watts, start=1):
            self._set(name, POE_PORT.format(port=port), w)
        self._set(name, POE_MAIN, round(sum(watts) * POE_MAIN_SHARE))
