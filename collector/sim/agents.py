"""What each simulated agent sends: wire-schema readings (W, J, s) and state blocks.

One message per device per interval while it is awake. A sleeping machine sends nothing; its
first message after waking says ``resumed`` and lists the slept intervals (the agent measures
them as CLOCK_BOOTTIME minus CLOCK_MONOTONIC), which is how the collector tells sleep from a
dead agent. After a restart the agent starts afresh: it cannot report sleeps from before it.

Workstations report the model's estimate (``model``, estimated, the display's share as the
component ``display``), or the battery's discharge (``battery``, measured) on battery; servers
report their BMC's input power (``ipmi``, measured) and, where the BMC has one, its cumulative
energy sensor (``redfish``, measured, zero at each reboot). Everyone reports ``uptime_seconds``.

:func:`history` is a past week replayed as the agents' buffered backlog (oldest first, across
devices); :func:`live` continues each agent from its last message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from collector.sim import servers as srv_model
from collector.sim.behaviour import SimState, sleeps_between, state_at
from collector.sim.draws import unit
from collector.sim.fleet import Fleet, Server, SimDevice, Workstation
from collector.sim.malformed import malformed_payloads
from contract.schema import (
    PowerState,
    Quality,
    Reading,
    SleepSettings,
    SleptInterval,
    StateBlock,
)

__all__ = [
    "DEFAULT_INTERVAL",
    "SimMessage",
    "Submitter",
    "history",
    "live",
    "malformed_payloads",
    "message_at",
    "publish_history",
]

DEFAULT_INTERVAL = timedelta(minutes=15)
MAX_SLEPT = 100  # StateBlock.slept holds at most this many intervals


@dataclass(frozen=True, slots=True)
class SimMessage:
    """One telemetry message as the agent would have built it (the Publisher adds seq)."""

    device_id: str
    site: str
    kind: str
    readings: list[Reading]
    state: StateBlock | None

    @property
    def ts(self) -> datetime:
        return self.readings[0].ts


class Submitter(Protocol):
    """The part of ``agent.transport.Publisher`` the simulation uses."""

    def submit(
        self, readings: list[Reading], state: StateBlock | None = None, kind: str | None = None
    ) -> int: ...


def _r(ts: datetime, metric: str, value: float, source: str, quality: Quality) -> Reading:
    return Reading(ts=ts, metric=metric, value=round(value, 3), source=source, quality=quality)


@lru_cache(maxsize=4096)
def sleep_settings(ws: Workstation) -> SleepSettings:
    battery = ws.kind == "laptop"
    return SleepSettings(
        sleep_ac_seconds=ws.sleep_after_seconds,
        sleep_battery_seconds=min(ws.sleep_after_seconds, 900) if battery else None,
        display_ac_seconds=ws.display_off_seconds,
        display_battery_seconds=min(ws.display_off_seconds, 300) if battery else None,
        screensaver_enabled=ws.sleep_after_seconds == 0,
    )


def _workstation_message(
    ws: Workstation, ts: datetime, s: SimState, last: datetime | None
) -> SimMessage:
    boot = s.boot_time or ts
    since = max(last or ts - DEFAULT_INTERVAL, boot)
    slept = [SleptInterval(start=a, end=b) for a, b in sleeps_between(ws, since, ts) if a >= boot]
    if slept:
        power_state = PowerState.RESUMED
    else:
        power_state = PowerState.ACTIVE if s.power_state == "active" else PowerState.IDLE
    if s.on_battery:
        readings = [_r(ts, "power_watts", s.watts, "battery", Quality.MEASURED)]
    else:
        readings = [_r(ts, "power_watts", s.watts, "model", Quality.ESTIMATED)]
        if s.display_on:
            display = Reading(
                ts=ts,
                metric="power_watts",
                value=ws.display_watts,
                source="model",
                quality=Quality.ESTIMATED,
                component="display",
            )
            readings.append(display)
    readings.append(_r(ts, "uptime_seconds", (ts - boot).total_seconds(), "os", Quality.MEASURED))
    state = StateBlock(
        power_state=power_state,
        idle_seconds=s.idle_seconds,
        boot_time=boot,
        on_battery=s.on_battery if ws.kind == "laptop" else None,
        sleep_settings=sleep_settings(ws),
        sleep_blockers=list(s.blockers),
        slept=slept[-MAX_SLEPT:],
    )
    return SimMessage(ws.id, ws.site, ws.kind, readings, state)


def _server_message(srv: Server, ts: datetime, s: SimState) -> SimMessage:
    boot = s.boot_time or ts
    readings = [_r(ts, "power_watts", s.watts, "ipmi", Quality.MEASURED)]
    if srv.energy_counter:
        joules = srv_model.energy_since_boot(srv, ts)
        readings.append(_r(ts, "energy_joules_total", joules, "redfish", Quality.MEASURED))
    readings.append(_r(ts, "uptime_seconds", (ts - boot).total_seconds(), "os", Quality.MEASURED))
    return SimMessage(srv.id, srv.site, "server", readings, None)


def message_at(device: SimDevice, ts: datetime, last: datetime | None) -> SimMessage | None:
    """The message ``device`` sends at ``ts`` (None while asleep); ``last``: its previous one."""
    s = state_at(device, ts)
    if s.power_state == "asleep":
        return None
    if isinstance(device, Server):
        return _server_message(device, ts, s)
    return _workstation_message(device, ts, s, last)


def _phase(fleet: Fleet, device: SimDevice, interval: timedelta) -> timedelta:
    """Agents do not all report on the same second: a fixed offset within the interval."""
    return interval * unit(fleet.seed, device.id, "phase")


def history(
    fleet: Fleet, start: datetime, end: datetime, *, interval: timedelta = DEFAULT_INTERVAL
) -> Iterator[SimMessage]:
    """Every message of [start, end), oldest first across devices.

    Records each device's last message in ``fleet.last_sent`` so that :func:`live` goes on
    from there (a device asleep at ``end`` reports the whole sleep when it wakes).
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    step = interval.total_seconds()
    base = datetime.fromtimestamp(start.timestamp() // step * step, start.tzinfo)
    devices = sorted(fleet.agents(), key=lambda d: _phase(fleet, d, interval))
    phases = {d.id: _phase(fleet, d, interval) for d in devices}
    last: dict[str, datetime | None] = {d.id: start - interval for d in devices}
    slot = base
    while slot < end:
        for device in devices:
            ts = slot + phases[device.id]
            if not start <= ts < end:
                continue
            msg = message_at(device, ts, last[device.id])
            if msg is not None:
                last[device.id] = ts
                fleet.last_sent[device.id] = ts
                yield msg
        slot += interval
    for device in devices:
        fleet.last_sent.setdefault(device.id, end)


def live(fleet: Fleet, now: datetime) -> list[SimMessage]:
    """One message from every awake agent at ``now``, continuing from its last message."""
    out = []
    for device in fleet.agents():
        last = fleet.last_sent.get(device.id)
        if last is not None and now <= last:
            continue
        msg = message_at(device, now, last)
        if msg is not None:
            fleet.last_sent[device.id] = now
            out.append(msg)
    return out


def publish_history(
    fleet: Fleet,
    publishers: Mapping[str, Submitter],
    start: datetime,
    end: datetime,
    progress: Callable[[int, int], None] | None = None,
    *,
    interval: timedelta = DEFAULT_INTERVAL,
) -> int:
    """Submit the history to each device's publisher in time order; returns the count.

    The history is [start, end) and then one round at ``end`` itself (:func:`live`), so that
    every awake agent's backlog ends where its live reporting takes over: an always-on server
    whose last buffered message were up to ``interval`` before ``end`` would look silent
    (``device_silent``) across the hand-over. ``progress(done, total)`` is called every 1,000
    messages and at the end.
    """
    messages = list(history(fleet, start, end, interval=interval)) + live(fleet, end)
    for n, msg in enumerate(messages, start=1):
        publishers[msg.device_id].submit(msg.readings, msg.state, msg.kind)
        if progress is not None and (n % 1000 == 0 or n == len(messages)):
            progress(n, len(messages))
    return len(messages)
