"""Server load and power over time: CPU utilisation (0..1), power (W), energy (J), boot time.

Utilisation follows the office day in Europe/Paris (15-60 %), lower at weekends, with a
nightly backup window on the backup server. Power is the linear model of Cloud Carbon
Footprint, ``W = idle + u x (max - idle)`` (DOMAIN.md), set on a 5-minute grid and linear in
between, so that the energy counter is exactly the integral of the power the server reports.
Servers reboot once a month, on the Sunday after Patch Tuesday, early in the morning.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise

from collector.sim.draws import clamp, jitter
from collector.sim.fleet import Server
from collector.sim.office import PARIS, at, is_day_off

NODE_SECONDS = 300
DAY_SECONDS = 86_400
NODES = DAY_SECONDS // NODE_SECONDS
MIN_UTIL, MAX_UTIL = 0.15, 0.60


def _ramp(h: float, up_from: float, up_to: float, down_from: float, down_to: float) -> float:
    """0 outside, 1 on the plateau, cosine ramps in between (hours, local)."""
    if h <= up_from or h >= down_to:
        return 0.0
    if h < up_to:
        return 0.5 - 0.5 * math.cos(math.pi * (h - up_from) / (up_to - up_from))
    if h <= down_from:
        return 1.0
    return 0.5 + 0.5 * math.cos(math.pi * (h - down_from) / (down_to - down_from))


def _util_at_node(srv: Server, epoch: int) -> float:
    local = datetime.fromtimestamp(epoch, PARIS)
    h = local.hour + local.minute / 60
    office = _ramp(h, 7.5, 9.5, 17.5, 19.5) * (0.2 if is_day_off(local.date()) else 1.0)
    u = srv.night_util + (srv.peak_util - srv.night_util) * office
    if srv.role == "sauvegarde":
        u += 0.35 * _ramp(h, 0.75, 1.25, 3.25, 3.75)
    return clamp(u + jitter(0.03, srv.seed, srv.id, epoch), MIN_UTIL, MAX_UTIL)


def _watts(srv: Server, u: float) -> float:
    return srv.idle_watts + u * (srv.max_watts - srv.idle_watts)


@lru_cache(maxsize=4096)
def _day(srv: Server, day: int) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """UTC day number -> (utilisation, watts, joules since midnight) at its NODES + 1 nodes."""
    base = day * DAY_SECONDS
    utils = tuple(_util_at_node(srv, base + i * NODE_SECONDS) for i in range(NODES + 1))
    watts = tuple(_watts(srv, u) for u in utils)
    cumulative = [0.0]
    for a, b in pairwise(watts):
        cumulative.append(cumulative[-1] + (a + b) / 2 * NODE_SECONDS)
    return utils, watts, tuple(cumulative)


def _locate(ts: datetime) -> tuple[int, int, float]:
    """(UTC day number, node index, seconds past that node)."""
    t = ts.timestamp()
    day = math.floor(t / DAY_SECONDS)
    into = t - day * DAY_SECONDS
    i = min(int(into // NODE_SECONDS), NODES - 1)
    return day, i, into - i * NODE_SECONDS


def _interpolate(values: tuple[float, ...], i: int, past: float) -> float:
    return values[i] + (values[i + 1] - values[i]) * past / NODE_SECONDS


def util_at(srv: Server, ts: datetime) -> float:
    day, i, past = _locate(ts)
    return _interpolate(_day(srv, day)[0], i, past)


def power_at(srv: Server, ts: datetime) -> float:
    """Input power (W), as the BMC and the PDU outlet both see it."""
    day, i, past = _locate(ts)
    return _interpolate(_day(srv, day)[1], i, past)


def _joules_since_midnight(srv: Server, ts: datetime) -> tuple[int, float]:
    day, i, past = _locate(ts)
    _u, watts, cumulative = _day(srv, day)
    return day, cumulative[i] + (watts[i] + _interpolate(watts, i, past)) / 2 * past


def energy_between(srv: Server, a: datetime, b: datetime) -> float:
    """Energy (J) drawn over [a, b]."""
    if b <= a:
        return 0.0
    day_a, ja = _joules_since_midnight(srv, a)
    day_b, jb = _joules_since_midnight(srv, b)
    return _whole_days(srv, day_a, day_b) - ja + jb


@lru_cache(maxsize=4096)
def _whole_days(srv: Server, first: int, stop: int) -> float:
    """Energy (J) of the UTC days first..stop-1."""
    return sum(_day(srv, d)[2][-1] for d in range(first, stop))


def _reboot_in(srv: Server, year: int, month: int) -> datetime:
    first = date(year, month, 1)
    patch_tuesday = first + timedelta(days=(1 - first.weekday()) % 7 + 7)
    sunday = patch_tuesday + timedelta(days=5)
    return at(sunday, 6 * 60 + srv.reboot_offset_minutes)


def last_boot(srv: Server, ts: datetime) -> datetime:
    """The last monthly reboot at or before ``ts``."""
    local = ts.astimezone(PARIS)
    year, month = local.year, local.month
    for _ in range(3):
        boot = _reboot_in(srv, year, month)
        if boot <= ts:
            return boot.astimezone(UTC)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    raise AssertionError("unreachable: a reboot happens every month")


def energy_since_boot(srv: Server, ts: datetime) -> float:
    """The BMC's cumulative energy counter (J): zero at each reboot."""
    return energy_between(srv, last_boot(srv, ts), ts)
