"""Configuration violations: what a device's own settings say about the sleep policy.

Reads the settings an agent reports (:class:`contract.schema.SleepSettings`, timeouts in
seconds, 0 = never; :class:`contract.schema.SleepStates`) and the device's policy group;
writes one :class:`ConfigFinding` per rule, each ``violation``, ``compliant`` or ``unknown``:

- ``sleep_timeout``: the sleep timeout on AC power is longer than
  ``group.max_sleep_timeout_minutes`` (30 by default, the ENERGY STAR requirement for
  computers), or set to never. Offices run on mains power at night, so AC is the one checked.
- ``screensaver``: a screensaver is enabled: the authorities disable screensavers in favour
  of sleep (a screensaver keeps the machine and often the display awake).
- ``cannot_sleep``: the machine offers no sleeping state at all (``powercfg /a``,
  ``/sys/power/state``): no timeout can ever put it to sleep.

A value the agent did not report, or could not read, gives ``unknown``: never a violation,
never compliant. Exemptions (by device, group or kind) are the caller's to apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from collector.config import PolicyGroup
from contract.schema import SleepSettings, SleepStates

Rule = Literal["sleep_timeout", "screensaver", "cannot_sleep"]
Outcome = Literal["violation", "compliant", "unknown"]
RULES: tuple[Rule, ...] = ("sleep_timeout", "screensaver", "cannot_sleep")


@dataclass(frozen=True, slots=True)
class Value:
    """One setting as the agent reported it (None: not reported)."""

    name: str
    value: int | bool | str | None


@dataclass(frozen=True, slots=True)
class ConfigFinding:
    """The outcome of one rule for one device, with the values it rests on."""

    device_id: str
    rule: Rule
    outcome: Outcome
    evidence: str
    values: tuple[Value, ...]


def _minutes(seconds: int) -> str:
    if seconds % 60:
        return f"{seconds} s"
    minutes = seconds // 60
    hours, rest = divmod(minutes, 60)
    if hours and not rest:
        return f"{hours} h"
    return f"{hours} h {rest} min" if hours else f"{minutes} min"


def check_sleep_timeout(
    device_id: str, settings: SleepSettings | None, group: PolicyGroup
) -> ConfigFinding:
    """Sleep on AC after more than the group's maximum, or never."""
    limit = round(group.max_sleep_timeout_minutes * 60)
    seconds = settings.sleep_ac_seconds if settings else None
    values = (Value("sleep_ac_seconds", seconds), Value("max_sleep_timeout_seconds", limit))
    if seconds is None:
        return ConfigFinding(
            device_id, "sleep_timeout", "unknown", "sleep timeout on AC not reported", values
        )
    if seconds == 0:
        text = f"sleep on AC set to never (maximum {_minutes(limit)})"
        return ConfigFinding(device_id, "sleep_timeout", "violation", text, values)
    if seconds > limit:
        text = f"sleep on AC after {_minutes(seconds)}, longer than the maximum {_minutes(limit)}"
        return ConfigFinding(device_id, "sleep_timeout", "violation", text, values)
    text = f"sleep on AC after {_minutes(seconds)} (maximum {_minutes(limit)})"
    return ConfigFinding(device_id, "sleep_timeout", "compliant", text, values)


def check_screensaver(device_id: str, settings: SleepSettings | None) -> ConfigFinding:
    """A screensaver enabled instead of sleep."""
    enabled = settings.screensaver_enabled if settings else None
    sleep = settings.sleep_ac_seconds if settings else None
    values = (Value("screensaver_enabled", enabled), Value("sleep_ac_seconds", sleep))
    if enabled is None:
        return ConfigFinding(
            device_id, "screensaver", "unknown", "screensaver not reported", values
        )
    if not enabled:
        return ConfigFinding(device_id, "screensaver", "compliant", "no screensaver", values)
    then = (
        "sleep timeout unknown"
        if sleep is None
        else "sleep set to never"
        if sleep == 0
        else f"sleep after {_minutes(sleep)}"
    )
    text = f"a screensaver is enabled instead of sleep ({then})"
    return ConfigFinding(device_id, "screensaver", "violation", text, values)


def check_can_sleep(device_id: str, states: SleepStates | None) -> ConfigFinding:
    """No sleeping state available at all."""
    shown = None if states is None else ",".join(states.available) or "none"
    values = (Value("available_sleep_states", shown),)
    if states is None:
        return ConfigFinding(
            device_id, "cannot_sleep", "unknown", "sleep states not reported", values
        )
    can = states.can_sleep
    if can is None:
        text = f"only sleep states the agent could not name are available ({shown})"
        return ConfigFinding(device_id, "cannot_sleep", "unknown", text, values)
    if can:
        return ConfigFinding(device_id, "cannot_sleep", "compliant", f"can sleep: {shown}", values)
    reasons = "; ".join(f"{k}: {v}" for k, v in states.unavailable.items())
    text = f"no sleep state available (available: {shown})" + (f"; {reasons}" if reasons else "")
    return ConfigFinding(device_id, "cannot_sleep", "violation", text, values)


def check_configuration(
    device_id: str,
    settings: SleepSettings | None,
    states: SleepStates | None,
    group: PolicyGroup,
) -> list[ConfigFinding]:
    """Every rule for one device, in :data:`RULES` order."""
    return [
        check_sleep_timeout(device_id, settings, group),
        check_screensaver(device_id, settings),
        check_can_sleep(device_id, states),
    ]
