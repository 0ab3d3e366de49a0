"""Laptop power while on battery, from ``/sys/class/power_supply`` (Linux) or psutil.

On battery the discharge power is the whole laptop's draw, so it is reported as a measured
``power_watts`` without a component. Linux gives ``power_now`` (microwatts) or
``current_now`` (microamps) times ``voltage_now`` (microvolts); several batteries are summed.
On AC the battery's figure is its charging power, not the laptop's, so nothing is reported
and a better source (or the model) answers. Peripheral batteries (``scope`` = Device: mice,
headsets) are ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.sources.base import SourceUnavailable, reading
from contract.wire import Quality, Reading, utcnow

NAME = "battery"


@dataclass(frozen=True, slots=True)
class SupplyStatus:
    """What the power supplies say: on battery or not, and the discharge power in watts."""

    batteries: int
    on_battery: bool | None
    discharge_watts: float | None


def _text(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _number(path: Path) -> float | None:
    raw = _text(path)
    try:
        return None if raw is None else float(raw)
    except ValueError:
        return None


def _battery_watts(supply: Path) -> float | None:
    power = _number(supply / "power_now")
    if power is not None:
        return abs(power) / 1e6
    current, voltage = _number(supply / "current_now"), _number(supply / "voltage_now")
    if current is not None and voltage is not None:
        return abs(current) * voltage / 1e12
    return None


def read_power_supplies(root: Path = Path("/sys/class/power_supply")) -> SupplyStatus:
    """Read every supply under ``root``: mains online, batteries discharging and their power."""
    batteries = 0
    mains_online: bool | None = None
    discharging = False
    watts = 0.0
    have_watts = False
    try:
        supplies = sorted(root.iterdir())
    except OSError:
        return SupplyStatus(0, None, None)
    for supply in supplies:
        kind = _text(supply / "type")
        if kind in ("Mains", "USB", "USB_C", "USB_PD"):
            online = _text(supply / "online")
            if online is not None:
                mains_online = online == "1" or bool(mains_online)
        elif kind == "Battery" and (_text(supply / "scope") or "System") == "System":
            batteries += 1
            if _text(supply / "status") == "Discharging":
                discharging = True
                w = _battery_watts(supply)
                if w is not None:
                    watts += w
                    have_watts = True
    if batteries == 0:
        return SupplyStatus(0, False if mains_online else None, None)
    on_battery = discharging if mains_online is None else not mains_online
    return SupplyStatus(batteries, on_battery, watts if on_battery and have_watts else None)


class PowerSupplies:
    """The supplies under ``root``, scanned at most once per ``max_age`` seconds.

    A round asks twice: the battery source for the draw, the state probe for whether the host
    is on battery. Sharing one instance makes that one scan of ``/sys/class/power_supply`` a
    round rather than two; ``max_age`` is well below any round interval, so the next round
    always scans again.
    """

    def __init__(
        self,
        root: Path = Path("/sys/class/power_supply"),
        max_age: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        scan: Callable[[Path], SupplyStatus] = read_power_supplies,
    ) -> None:
        self.root = root
        self.max_age = max_age
        self._clock = clock
        self._scan = scan
        self._last: tuple[float, SupplyStatus] | None = None

    def status(self) -> SupplyStatus:
        """The supplies now: the last scan if it is younger than ``max_age``, else a new one."""
        now = self._clock()
        if self._last is None or now - self._last[0] >= self.max_age:
            self._last = (now, self._scan(self.root))
        return self._last[1]


def psutil_on_battery() -> bool | None:
    """On battery according to psutil (Windows, macOS); None without a battery."""
    import psutil

    battery = psutil.sensors_battery()
    if battery is None or battery.power_plugged is None:
        return None
    return not battery.power_plugged


class BatterySource:
    """The laptop's draw while it runs on battery: from ``supplies`` when it is shared with the
    state probe (the running agent), else from its own scan of ``root`` each read."""

    def __init__(
        self,
        root: Path = Path("/sys/class/power_supply"),
        supplies: PowerSupplies | None = None,
    ) -> None:
        self.supplies = supplies or PowerSupplies(root, max_age=0.0)
        self.root = self.supplies.root

    def read(self) -> list[Reading]:
        status = self.supplies.status()
        if status.batteries == 0:
            raise SourceUnavailable(
                f"no system battery under {self.root}",
                "only laptops and tablets have one",
                lasting=True,
            )
        if not status.on_battery or status.discharge_watts is None:
            return []  # on AC: the battery's figure is its charge, not the laptop's draw
        return [reading(utcnow(), "power_watts", status.discharge_watts, NAME, Quality.MEASURED)]
