"""RAPL energy counters (Linux powercap): ``energy_joules_total`` and derived ``power_watts``.

Reads ``<root>/intel-rapl:*/energy_uj`` (microjoules) for the package, DRAM and platform
(``psys``) zones; core/uncore are skipped (they are inside the package) and so are the
``intel-rapl-mmio`` twins (same package, second interface). Counters wrap at
``max_energy_range_uj``: :func:`contract.counters.counter_delta` tells wraps from resets, and both
are counted (``energy_counter_wraps_total`` / ``energy_counter_resets_total`` per zone). Power
is the energy between two reads divided by the monotonic time between them, so the first read
gives counters only. Since Linux 5.10 ``energy_uj`` is root-only (CVE-2020-8694); the fix is
``deploy/udev/60-veille-rapl.rules``, which gives read access to the ``veille`` group only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.sources.base import SourceUnavailable, reading
from contract.counters import Step, counter_delta
from contract.scopes import AGENT_COUNTER_SCOPES
from contract.wire import Quality, Reading, utcnow

NAME = "rapl"
#: RAPL zones (package, DRAM, platform) each measure a part of the machine, never all of it:
#: their counters never replace whole-device power (declared in contract.scopes).
SCOPE = AGENT_COUNTER_SCOPES[NAME]
KEPT_ZONES = ("package", "dram", "psys")
UDEV_FIX = (
    "install deploy/udev/60-veille-rapl.rules (read access for group 'veille') and run the "
    "agent in that group (deploy/systemd/veille-agent.service does), then "
    "`udevadm trigger --subsystem-match=powercap`"
)


@dataclass
class _Zone:
    path: Path
    component: str
    modulus: float
    last_uj: float | None = None
    last_t: float | None = None
    total_j: float = 0.0
    wraps: int = 0
    resets: int = 0


def _component(zone_dir: Path, name: str) -> str:
    # intel-rapl:0:2 named "dram" belongs to package 0: "dram-0"; top zones keep their name.
    parts = zone_dir.name.split(":")
    if len(parts) == 3 and not name.startswith("package"):
        return f"{name}-{parts[1]}"
    return name


class RaplSource:
    """Energy counters of the CPU packages, DRAM and platform, from powercap sysfs."""

    def __init__(
        self,
        root: Path = Path("/sys/class/powercap"),
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self._clock = clock
        self._zones: list[_Zone] | None = None

    def _discover(self) -> list[_Zone]:
        if not self.root.is_dir():
            raise SourceUnavailable(
                f"{self.root} does not exist: no RAPL here (not Linux, a VM, or a CPU without it)",
                "load the driver: `modprobe intel_rapl_msr` (Intel and AMD Zen); VMs have none",
                lasting=True,
            )
        zones = []
        for zone_dir in sorted(self.root.glob("intel-rapl:*")):
            try:
                name = (zone_dir / "name").read_text().strip()
                modulus = float((zone_dir / "max_energy_range_uj").read_text())
            except PermissionError:
                raise SourceUnavailable(
                    f"{zone_dir}/max_energy_range_uj is not readable by this user",
                    UDEV_FIX,
                    lasting=True,
                ) from None
            except (OSError, ValueError):
                continue
            if name.startswith(KEPT_ZONES):
                zones.append(_Zone(zone_dir, _component(zone_dir, name), modulus))
        if not zones:
            raise SourceUnavailable(
                f"no RAPL zone under {self.root}",
                "load the driver: `modprobe intel_rapl_msr` (Intel and AMD Zen)",
                lasting=True,
            )
        return zones

    def read(self) -> list[Reading]:
        if self._zones is None:
            self._zones = self._discover()
        out: list[Reading] = []
        ts = utcnow()
        for zone in self._zones:
            try:
                raw = float((zone.path / "energy_uj").read_text())
            except PermissionError:
                raise SourceUnavailable(
                    f"{zone.path / 'energy_uj'} is root-only on this kernel "
                    "(Linux >= 5.10, CVE-2020-8694)",
                    UDEV_FIX,
                    lasting=True,
                ) from None
            except (OSError, ValueError):
                continue
            now = self._clock()
            out.extend(self._advance(zone, raw, now, ts))
        return out

    def _advance(self, zone: _Zone, raw_uj: float, now: float, t: datetime) -> list[Reading]:
        readings: list[Reading] = []
        if zone.last_uj is None or zone.last_t is None:
            zone.total_j = raw_uj / 1e6
        else:
            step = counter_delta(zone.last_uj, raw_uj, modulus=zone.modulus)
            zone.total_j += step.delta / 1e6
            if step.step is Step.WRAP:
                zone.wraps += 1
            elif step.step is Step.RESET:
                zone.resets += 1
            dt = now - zone.last_t
            if dt > 0:
                readings.append(
                    reading(
                        t,
                        "power_watts",
                        step.delta / 1e6 / dt,
                        NAME,
                        Quality.MEASURED,
                        zone.component,
                    )
                )
        zone.last_uj, zone.last_t = raw_uj, now
        readings.append(
            reading(
                t,
                "energy_joules_total",
                zone.total_j,
                NAME,
                Quality.MEASURED,
                zone.component,
            )
        )
        for metric, count in (
            ("energy_counter_wraps_total", zone.wraps),
            ("energy_counter_resets_total", zone.resets),
        ):
            if count:
                readings.append(reading(t, metric, count, NAME, Quality.MEASURED, zone.component))
        return readings
