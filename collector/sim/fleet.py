"""The simulated estate: workstations, servers, a small datacentre and a PoE midspan.

Builds, from a seed, every device's profile: power figures in watts (W), office habits in
local minutes after midnight (Europe/Paris), sleep timeouts in seconds. Power figures follow
DOMAIN.md: Microsoft Configuration Manager's fixed values (desktop on 70 W / asleep 3 W,
laptop on 20 W / asleep 1 W) spread a little per machine, plus a 20-25 W office monitor
while the display is on (Boavizta's 55 W average monitor covers larger and older screens);
servers use the linear model ``W = idle + u x (max - idle)`` (Cloud Carbon Footprint) with
idle 110-140 W and max 300-380 W, typical of SPECpower results for two-socket servers.
Nothing here does I/O; :mod:`collector.sim.inventory_out` writes the inventory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal

from collector.inventory import Device, Exemption
from collector.sim.draws import rng

WorkstationKind = Literal["desktop", "laptop"]

#: Apps that commonly hold a Windows sleep request (``powercfg /requests``), and whether they
#: also keep the display on. ``None`` stands for sleep disabled in the power plan, with the
#: screensaver left on instead (what Nantes Métropole set out to remove, DOMAIN.md).
BLOCKERS: tuple[tuple[str | None, bool], ...] = (
    ("Microsoft Teams", False),
    ("Windows Update", False),
    ("Google Chrome (audio)", False),
    ("VLC media player", True),
    (None, True),
)

#: Server roles of a small authority, first the ones every town hall runs.
SERVER_ROLES = ("ad", "fichiers", "messagerie", "sig", "finances", "sauvegarde", "web", "bdd")

#: The recorded walks the datacentre is served from (see :mod:`collector.sim.datacentre`).
PDU_WALKS = ("raritan-pdu_px2", "sentry4")
FACILITY_WALK = "deltaups"
POE_WALK = "microsemipdsine"


@dataclass(frozen=True, slots=True)
class Insomnia:
    """Why a workstation stays awake when idle: a blocking app, or sleep disabled (None);
    with ``since``/``until``, only over the absences that start in [since, until)."""

    blocker: str | None
    keeps_display_on: bool
    nightly_probability: float
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Workstation:
    """A desktop (with its monitor) or a laptop, and its user's habits."""

    id: str
    kind: WorkstationKind
    site: str
    seed: int
    active_watts: float  # awake, user working, display excluded
    idle_watts: float  # awake, no input, display excluded
    sleep_watts: float  # S3 sleep
    display_watts: float  # the monitor (desktop) or the panel (laptop) while on
    arrival_minutes: int
    departure_minutes: int
    lunch_minutes: int
    sleep_after_seconds: int  # 0 = never (sleep disabled)
    display_off_seconds: int  # 0 = never
    reboot_weekday: int  # 0 = Monday: updates are installed on arrival that day
    part_time_wednesday: bool
    insomnia: Insomnia | None = None
    exemption: Exemption | None = None

    @property
    def max_watts(self) -> float:
        return self.active_watts + self.display_watts


@dataclass(frozen=True, slots=True)
class Server:
    """A physical server in a rack, behind one outlet of a rack PDU."""

    id: str
    role: str
    site: str
    datacentre: str
    seed: int
    idle_watts: float
    max_watts: float
    night_util: float  # CPU utilisation, 0..1
    peak_util: float
    pdu: str
    outlet: int  # on a PDU that reports its outlets
    energy_counter: bool  # the BMC exposes a cumulative energy sensor
    reboot_offset_minutes: int  # after 06:00 on the Sunday after Patch Tuesday


@dataclass(frozen=True, slots=True)
class RackPdu:
    """A metered rack PDU: its servers, plus switching gear on ``gear_outlet``."""

    id: str
    walk: str
    servers: tuple[str, ...]
    gear_watts: float
    gear_outlet: int


@dataclass(frozen=True, slots=True)
class FacilityMeter:
    """The meter of the room's whole input (E_DC): IT load times a cooling overhead."""

    id: str
    walk: str
    pue_base: float  # overhead ratio at the coolest hour
    pue_swing: float  # added at the warmest hour (cooling works harder)


@dataclass(frozen=True, slots=True)
class PoeMidspan:
    """A PoE injector feeding Wi-Fi access points and IP phones in the office."""

    id: str
    walk: str
    site: str
    access_points: int
    phones: int


SimDevice = Workstation | Server


@dataclass
class Fleet:
    """Everything simulated. ``last_sent`` is the live agents' memory (device -> last send)."""

    seed: int
    site: str
    datacentre: str
    workstations: tuple[Workstation, ...]
    servers: tuple[Server, ...]
    pdus: tuple[RackPdu, ...]
    facility: FacilityMeter
    poe: PoeMidspan
    last_sent: dict[str, datetime] = field(default_factory=dict)
    violator: str | None = None  # the one-night violator (collector.sim.violator), if any

    def agents(self) -> list[SimDevice]:
        """The devices that run an agent (workstations and servers)."""
        return [*self.workstations, *self.servers]

    def server(self, device_id: str) -> Server:
        for s in self.servers:
            if s.id == device_id:
                return s
        raise KeyError(device_id)

    def inventory_devices(self) -> list[Device]:
        from collector.sim.inventory_out import inventory_devices

        return inventory_devices(self)

    def inventory_toml(self) -> str:
        from collector.sim.inventory_out import inventory_toml

        return inventory_toml(self)


def _ident(kind: WorkstationKind, n: int) -> str:
    return f"hdv-{'pc' if kind == 'desktop' else 'lt'}-{n:03d}"


def _workstation(
    seed: int, ident: str, kind: WorkstationKind, site: str, insomnia: Insomnia | None
) -> Workstation:
    r = rng(seed, ident, "profile")
    desktop = kind == "desktop"
    return Workstation(
        id=ident,
        kind=kind,
        site=site,
        seed=seed,
        active_watts=round(r.uniform(60, 75) if desktop else r.uniform(12, 21), 1),
        idle_watts=round(r.uniform(40, 50) if desktop else r.uniform(5.5, 7), 1),
        sleep_watts=round(r.uniform(2, 3) if desktop else r.uniform(0.8, 1.2), 2),
        display_watts=round(r.uniform(20, 25) if desktop else r.uniform(3, 4), 1),
        arrival_minutes=r.randint(7 * 60 + 50, 9 * 60 + 15),
        departure_minutes=r.randint(16 * 60 + 40, 18 * 60 + 50),
        lunch_minutes=r.randint(40, 75),
        sleep_after_seconds=0 if insomnia and insomnia.blocker is None else 1800,
        display_off_seconds=0 if insomnia and insomnia.blocker is None else 600,
        reboot_weekday=r.randint(0, 4),
        part_time_wednesday=r.random() < 0.1,
        insomnia=insomnia,
    )


def _insomnias(seed: int, kind: str, count: int, share: tuple[float, float]) -> list[bool]:
    r = rng(seed, kind, "insomniacs")
    k = max(1, round(r.uniform(*share) * count)) if count else 0
    chosen = set(r.sample(range(count), k))
    return [i in chosen for i in range(count)]


def _insomnia(seed: int, ident: str) -> Insomnia:
    r = rng(seed, ident, "insomnia")
    blocker, display = r.choice(BLOCKERS)
    probability = 1.0 if blocker is None else round(r.uniform(0.75, 0.95), 2)
    return Insomnia(blocker, display, probability)


#: Raritan outlets the servers are plugged into, in order (3, 10 and 11 carry load in the walk).
RARITAN_OUTLETS = (3, 10, 11, 4, 5, 6, 7, 8, 9, 12)


def _server(seed: int, i: int, datacentre: str, pdus: list[str]) -> Server:
    """Server ``i``: racks alternate, the first servers of rack A on its loaded outlets."""
    role = SERVER_ROLES[i % len(SERVER_ROLES)]
    ident = f"srv-{role}-{i // len(SERVER_ROLES) + 1:02d}"
    r = rng(seed, ident, "profile")
    return Server(
        id=ident,
        role=role,
        site=datacentre,
        datacentre=datacentre,
        seed=seed,
        idle_watts=round(r.uniform(110, 140)),
        max_watts=round(r.uniform(300, 380)),
        night_util=round(r.uniform(0.15, 0.22), 3),
        peak_util=round(r.uniform(0.40, 0.58), 3),
        pdu=pdus[i % 2],
        outlet=RARITAN_OUTLETS[(i // 2) % len(RARITAN_OUTLETS)],
        energy_counter=r.random() < 0.5,
        reboot_offset_minutes=5 * r.randint(0, 18),
    )


def _on(machines: list[Server], pdu: str) -> tuple[str, ...]:
    return tuple(m.id for m in machines if m.pdu == pdu)


def build_fleet(
    seed: int = 7,
    *,
    desktops: int = 24,
    laptops: int = 16,
    servers: int = 6,
    site: str = "hotel-de-ville",
    datacentre: str = "dc-centre",
    today: date | None = None,
) -> Fleet:
    """A deterministic fleet for ``seed``. ``today`` dates the laptops' exemptions."""
    today = today or date.today()
    stations: list[Workstation] = []
    kinds: tuple[tuple[WorkstationKind, int, tuple[float, float]], ...] = (
        ("desktop", desktops, (0.15, 0.25)),
        ("laptop", laptops, (0.06, 0.13)),
    )
    for kind, count, share in kinds:
        for i, awake in enumerate(_insomnias(seed, kind, count, share), start=1):
            ident = _ident(kind, i)
            insomnia = _insomnia(seed, ident) if awake else None
            stations.append(_workstation(seed, ident, kind, site, insomnia))
    stations = _with_exemptions(stations, today)

    pdus = [f"{datacentre}-pdu-{c}" for c in "ab"]
    machines = [_server(seed, i, datacentre, pdus) for i in range(servers)]
    r = rng(seed, datacentre, "room")
    return Fleet(
        seed=seed,
        site=site,
        datacentre=datacentre,
        workstations=tuple(stations),
        servers=tuple(machines),
        pdus=(
            RackPdu(pdus[0], PDU_WALKS[0], _on(machines, pdus[0]), round(r.uniform(40, 55), 1), 1),
            # Rack B also holds the storage array: a steady load beside the servers. Its
            # Sentry reports no outlets, so the gear's outlet number is not used.
            RackPdu(
                pdus[1], PDU_WALKS[1], _on(machines, pdus[1]), round(r.uniform(380, 450), 1), 0
            ),
        ),
        facility=FacilityMeter(
            f"{datacentre}-ups", FACILITY_WALK, round(r.uniform(1.46, 1.52), 3), 0.12
        ),
        poe=PoeMidspan(f"{site}-poe-01", POE_WALK, site, access_points=4, phones=8),
    )


def _with_exemptions(stations: list[Workstation], today: date) -> list[Workstation]:
    """Two laptops that stay awake carry exemptions: one still valid, one expired."""
    awake = [i for i, w in enumerate(stations) if w.kind == "laptop" and w.insomnia]
    others = [i for i, w in enumerate(stations) if w.kind == "laptop" and not w.insomnia]
    picks = (awake + others)[:2]
    notes = (
        ("Astreinte DSI : poste de supervision joignable la nuit", today + timedelta(days=60)),
        ("Migration de messagerie (nuits de synchronisation)", today - timedelta(days=20)),
    )
    for i, (reason, until) in zip(picks, notes, strict=False):
        stations[i] = replace(stations[i], exemption=Exemption(reason=reason, until=until))
    return stations
