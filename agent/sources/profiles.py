"""Default power profiles per device kind, in watts, each with the public source it comes from.

Used by the model estimate when nothing measures (DOMAIN.md, "Estimating power"). A profile
in ``agent.toml`` overrides any value. Servers scale with their logical CPUs and memory (Cloud
Carbon Footprint's coefficients); other kinds are fixed figures. Values marked in DOMAIN.md
as "to check" must be checked before a report prints them; the estimate is always labelled
``estimated``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KindProfile:
    """Watts at idle and at full CPU load, plus the built-in display while it is on."""

    idle_watts: float
    max_watts: float
    display_watts: float
    source: str
    per_logical_cpu: bool = False
    memory_watts_per_gib: float = 0.0


PROFILES: dict[str, KindProfile] = {
    "desktop": KindProfile(
        idle_watts=70.0,
        max_watts=175.0,
        display_watts=0.0,
        source=(
            "idle: Microsoft Configuration Manager power management, desktop 'on' 70 W; "
            "max: Boavizta average desktop 175 W; the monitor is its own device "
            "(Boavizta 55 W): set profile.display_watts for an all-in-one"
        ),
    ),
    "laptop": KindProfile(
        idle_watts=20.0,
        max_watts=75.0,
        display_watts=0.0,
        source=(
            "idle: Microsoft Configuration Manager, laptop 'on' 20 W (panel included); "
            "max: Boavizta average laptop 75 W"
        ),
    ),
    "server": KindProfile(
        idle_watts=0.74,
        max_watts=3.5,
        display_watts=0.0,
        per_logical_cpu=True,
        memory_watts_per_gib=0.392,
        source=(
            "Cloud Carbon Footprint methodology: W = n_cpu x (0.74 + u x (3.5 - 0.74)) "
            "+ 0.392 W/GiB of memory (SPECpower averages; to check before reporting)"
        ),
    ),
}
