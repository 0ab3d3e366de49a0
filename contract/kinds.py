"""Device kinds: the one list, and what each kind means everywhere else.

Every other place (the inventory, default domains, the agent's config and power model, SNMP
profiles, the sleep policy, the sleep-energy estimate, PUE) reads this table, so a new kind is
one entry here. Power figures are watts, each with the public source it comes from (DOMAIN.md,
"Estimating power where nothing measures it"); an estimate is always labelled ``estimated``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

PueRole = Literal["it", "facility", "reuse", "none"]
"""``it``: IT load (PDU outlet side, UPS output, server input). ``facility``: a meter of the
datacentre's whole input (E_DC). ``reuse``: a meter of the energy reused outside the
datacentre (heat recovery), for ERF (ISO/IEC 30134-6); never part of E_DC or E_IT. ``none``:
outside any datacentre's PUE."""


@dataclass(frozen=True, slots=True)
class KindProfile:
    """Watts at idle and at full CPU load, plus the built-in display while it is on."""

    idle_watts: float
    max_watts: float
    display_watts: float
    source: str
    per_logical_cpu: bool = False
    memory_watts_per_gib: float = 0.0


@dataclass(frozen=True, slots=True)
class Kind:
    """What a kind of device is, for every part of veille.

    - ``domain``: the "domaine du SI" a device of this kind falls in when the inventory does
      not say (Nantes Métropole's domains, :mod:`collector.domains`).
    - ``workstation``: a machine with a user session that is expected to sleep (it reports
      idle time and sleep settings).
    - ``exempt_by_default``: the sleep policy does not apply unless the inventory puts the
      device in a policy group; workstations that are not exempt fall in the default group.
    - ``pue_role``: its role in a datacentre's PUE when the inventory places it in one and
      does not say; ``pue_category``: the ISO/IEC 30134-2 category of IT energy it measures
      (1 UPS output, 2 PDU output, 3 IT equipment input).
    - ``agent``: the agent runs on it; ``snmp``: the collector polls it over SNMP.
    - ``sleep_watts``: power while asleep, for the slept intervals an agent reports.
    - ``always_on``: a device of this kind must always report; one that stops for longer
      than ``alerts.silent_after_minutes`` raises a ``device_silent`` alert.
    - ``profile``: the agent's default power model when nothing measures the device.
    - ``energy_totals``: its kWh count in the energy totals (per domain, site, kind); a
      heat-reuse meter's do not (that energy is already in the datacentre's consumption).
    """

    name: str
    domain: str
    workstation: bool = False
    exempt_by_default: bool = True
    pue_role: PueRole = "none"
    pue_category: int = 3
    agent: bool = False
    snmp: bool = False
    sleep_watts: float | None = None
    profile: KindProfile | None = None
    always_on: bool = False
    energy_totals: bool = True

    @property
    def sleep_policy_by_default(self) -> bool:
        """Whether an unlisted device of this kind is checked against the default group."""
        return self.workstation and not self.exempt_by_default


USER = "Environnement utilisateur"
SERVER = "Environnement serveur"
NETWORK = "Réseaux et télécoms"

DESKTOP_PROFILE = KindProfile(
    idle_watts=70.0,
    max_watts=175.0,
    display_watts=0.0,
    source=(
        "idle: Microsoft Configuration Manager power management, desktop 'on' 70 W; "
        "max: Boavizta average desktop 175 W; the monitor is its own device "
        "(Boavizta 55 W): set profile.display_watts for an all-in-one"
    ),
)
LAPTOP_PROFILE = KindProfile(
    idle_watts=20.0,
    max_watts=75.0,
    display_watts=0.0,
    source=(
        "idle: Microsoft Configuration Manager, laptop 'on' 20 W (panel included); "
        "max: Boavizta average laptop 75 W"
    ),
)
SERVER_PROFILE = KindProfile(
    idle_watts=0.74,
    max_watts=3.5,
    display_watts=0.0,
    per_logical_cpu=True,
    memory_watts_per_gib=0.392,
    source=(
        "Cloud Carbon Footprint methodology: W = n_cpu x (0.74 + u x (3.5 - 0.74)) "
        "+ 0.392 W/GiB of memory (SPECpower averages; to check before reporting)"
    ),
)

# Sleep power: Microsoft Configuration Manager's fixed per-state values (desktop asleep 3 W,
# laptop asleep 1 W; DOMAIN.md); a thin client sleeps like a laptop.
_KINDS = (
    Kind(
        "desktop",
        USER,
        workstation=True,
        exempt_by_default=False,
        agent=True,
        sleep_watts=3.0,
        profile=DESKTOP_PROFILE,
    ),
    Kind(
        "laptop",
        USER,
        workstation=True,
        exempt_by_default=False,
        agent=True,
        sleep_watts=1.0,
        profile=LAPTOP_PROFILE,
    ),
    Kind(
        "thin_client",
        USER,
        workstation=True,
        exempt_by_default=False,
        agent=True,
        sleep_watts=1.0,
        profile=LAPTOP_PROFILE,
    ),
    # A kiosk (public terminal, signage) runs on purpose out of hours: exempt unless listed.
    Kind(
        "kiosk",
        USER,
        workstation=True,
        exempt_by_default=True,
        agent=True,
        sleep_watts=3.0,
        profile=DESKTOP_PROFILE,
    ),
    Kind("monitor", USER, sleep_watts=0.5),
    Kind(
        "server",
        SERVER,
        pue_role="it",
        pue_category=3,
        agent=True,
        profile=SERVER_PROFILE,
        always_on=True,
    ),
    Kind("pdu", SERVER, pue_role="it", pue_category=2, snmp=True, always_on=True),
    Kind("ups", SERVER, pue_role="it", pue_category=1, snmp=True, always_on=True),
    Kind("facility_meter", SERVER, pue_role="facility", snmp=True, always_on=True),
    # A heat meter on the recovered-heat loop (read over SNMP through an M-Bus/Modbus gateway):
    # reused energy for ERF, outside every energy total and the PUE's E_DC and E_IT.
    Kind(
        "heat_reuse_meter",
        SERVER,
        pue_role="reuse",
        snmp=True,
        always_on=True,
        energy_totals=False,
    ),
    Kind("switch", NETWORK, snmp=True),
    Kind("router", NETWORK),
    Kind("access_point", NETWORK),
    Kind("poe_midspan", NETWORK, snmp=True),
    Kind("printer", "Impression"),
    Kind("phone", "Téléphonie"),
    Kind("other", ""),
)

KINDS: dict[str, Kind] = {k.name: k for k in _KINDS}
"""Every kind by name, in the order above."""

OTHER = KINDS["other"]

#: Sleep power of a device whose kind has none (an unlisted device, an unknown kind).
DEFAULT_SLEEP_WATTS = 2.0


def kind_of(name: str | None) -> Kind:
    """The kind called ``name``; ``other`` for None or a name not in the table."""
    return KINDS.get(name or "", OTHER)


def counts_energy(name: str | None) -> bool:
    """Whether a device of kind ``name`` counts in the energy totals."""
    return kind_of(name).energy_totals


def always_on() -> frozenset[str]:
    """The kinds that must always report (a silence is an alert)."""
    return frozenset(k.name for k in KINDS.values() if k.always_on)


def names(*, agent: bool | None = None, snmp: bool | None = None) -> tuple[str, ...]:
    """Kind names, optionally only those an agent runs on or the collector polls."""
    return tuple(
        k.name
        for k in KINDS.values()
        if (agent is None or k.agent == agent) and (snmp is None or k.snmp == snmp)
    )


def _among(kind: str, allowed: tuple[str, ...], where: str) -> str:
    if kind not in allowed:
        raise ValueError(f"unknown kind {kind!r}{where}; one of {', '.join(allowed)}")
    return kind


def _agent_kind(kind: str) -> str:
    return _among(kind, names(agent=True), " for an agent")


def _snmp_kind(kind: str) -> str:
    return _among(kind, names(snmp=True), " for SNMP")


class _AfterValidator:
    """pydantic's ``AfterValidator``, without importing pydantic until a model uses it (the
    agent's running process reads this table and never imports pydantic)."""

    def __init__(self, check: Callable[[str], str]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))


AgentKind = Annotated[str, _AfterValidator(_agent_kind)]
"""A kind an agent runs on (``agent=True``), checked when a config is read."""

SnmpKind = Annotated[str, _AfterValidator(_snmp_kind)]
"""A kind the collector polls over SNMP (``snmp=True``), checked when a profile is read."""
