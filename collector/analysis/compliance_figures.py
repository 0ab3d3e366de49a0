"""Sleep-policy compliance of an estate over a period, per domain, site, policy group and night
(reads judged windows or their SQL tallies; writes :class:`ComplianceLine`).

Two paths give the same lines:

- the reference, :func:`lines_from_outcomes`, over every :class:`WindowOutcome` (one object per
  device and window: ~0.9 M for 10,000 devices over a quarter);
- the estate path, :func:`lines_from_tallies`, over what the ledger's ``GROUP BY`` returns
  (:mod:`collector.ledger.compliance`): one :class:`DeviceTally` per device, group and outcome,
  and one :class:`NightTally` per window start, group and outcome, a few tens of thousands of
  rows at that size. A test checks both on SQLite and PostgreSQL.

Counting, as :func:`collector.analysis.compliance.compliance_rate`: the rate is compliant
windows / (compliant + violated); unknown windows (a silent device) are counted apart and never
as compliant, exempt windows are left out. ``devices`` counts the devices with a judged window,
``unknown_devices`` those with at least one unknown window. kWh wasted are split by the quality
of the hourly kWh behind them (``measured`` or ``estimated``); kWh avoided are always
``estimated`` (idle power times the time slept). A night is the local civil date, in the
report's time zone, of the window's start.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from collector.analysis.compliance import WindowOutcome, WindowStatus
from contract.schema import Quality

#: the scopes of :class:`ComplianceLine`, in report order
SCOPES = ("total", "domain", "site", "group", "night")


@dataclass(frozen=True, slots=True)
class Tally:
    """Windows of one outcome and their kWh (what a ``GROUP BY`` row sums)."""

    status: WindowStatus
    windows: int
    kwh_wasted_measured: float
    kwh_wasted_estimated: float
    kwh_avoided: float


@dataclass(frozen=True, slots=True)
class DeviceTally:
    """One device's windows of one outcome in one policy group over the period."""

    device_id: str
    group: str
    tally: Tally


@dataclass(frozen=True, slots=True)
class NightTally:
    """The windows of one outcome in one group that started at ``window_start`` (UTC)."""

    window_start: datetime
    group: str
    tally: Tally


@dataclass(frozen=True, slots=True)
class ComplianceLine:
    """Compliance of one scope (``total``, ``domain``, ``site``, ``group`` or ``night``) and
    name (``*`` for the total, the local date ISO for a night). ``rate`` is None with no
    compliant or violated window (not available, never 0)."""

    scope: str
    name: str
    compliant: int
    violated: int
    unknown: int
    exempt: int
    kwh_wasted_measured: float
    kwh_wasted_estimated: float
    kwh_avoided_estimated: float
    #: compliant / (compliant + violated), None without such a window
    rate: float | None
    devices: int | None = None  # None for nights (a night counts windows)
    unknown_devices: int | None = None

    @property
    def kwh_wasted(self) -> float:
        return self.kwh_wasted_measured + self.kwh_wasted_estimated


@dataclass
class _Acc:
    counts: dict[WindowStatus, int]
    measured: float = 0.0
    estimated: float = 0.0
    avoided: float = 0.0

    @classmethod
    def new(cls) -> _Acc:
        return cls(dict.fromkeys(WindowStatus, 0))

    def add(self, t: Tally) -> None:
        self.counts[t.status] += t.windows
        self.measured += t.kwh_wasted_measured
        self.estimated += t.kwh_wasted_estimated
        self.avoided += t.kwh_avoided

    def line(
        self, scope: str, name: str, devices: int | None, unknown: int | None
    ) -> ComplianceLine:
        c = self.counts
        known = c[WindowStatus.COMPLIANT] + c[WindowStatus.VIOLATED]
        return ComplianceLine(
            scope,
            name,
            c[WindowStatus.COMPLIANT],
            c[WindowStatus.VIOLATED],
            c[WindowStatus.UNKNOWN],
            c[WindowStatus.EXEMPT],
            self.measured,
            self.estimated,
            self.avoided,
            c[WindowStatus.COMPLIANT] / known if known else None,
            devices,
            unknown,
        )


def tally_of(o: WindowOutcome) -> Tally:
    """One window as a tally of one."""
    measured = o.kwh_wasted if o.wasted_quality == Quality.MEASURED else 0.0
    return Tally(o.status, 1, measured, o.kwh_wasted - measured, o.kwh_avoided)


Key = Callable[[str], str]


def lines_from_tallies(
    devices: Iterable[DeviceTally],
    nights: Iterable[NightTally],
    *,
    domain_of: Key,
    site_of: Key,
    tz: str,
) -> list[ComplianceLine]:
    """The lines of every scope, from the ledger's tallies; empty without a judged window."""
    keys: dict[str, Callable[[DeviceTally], str]] = {
        "total": lambda _d: "*",
        "domain": lambda d: domain_of(d.device_id),
        "site": lambda d: site_of(d.device_id),
        "group": lambda d: d.group,
    }
    accs: dict[tuple[str, str], _Acc] = defaultdict(_Acc.new)
    members: dict[tuple[str, str], set[str]] = defaultdict(set)
    unknown: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in devices:
        for scope, key in keys.items():
            k = (scope, key(d))
            accs[k].add(d.tally)
            members[k].add(d.device_id)
            if d.tally.status == WindowStatus.UNKNOWN and d.tally.windows:
                unknown[k].add(d.device_id)
    zone = ZoneInfo(tz)
    night_accs: dict[date, _Acc] = defaultdict(_Acc.new)
    for n in nights:
        night_accs[n.window_start.astimezone(zone).date()].add(n.tally)
    out = [
        accs[k].line(k[0], k[1], len(members[k]), len(unknown[k]))
        for k in sorted(accs, key=lambda k: (SCOPES.index(k[0]), k[1]))
    ]
    out += [night_accs[d].line("night", d.isoformat(), None, None) for d in sorted(night_accs)]
    return out


def lines_from_outcomes(
    items: Iterable[WindowOutcome], *, domain_of: Key, site_of: Key, tz: str
) -> list[ComplianceLine]:
    """The reference: the same lines from every judged window, one by one."""
    items = list(items)
    per_device: dict[tuple[str, str, WindowStatus], list[Tally]] = defaultdict(list)
    per_night: dict[tuple[datetime, str, WindowStatus], list[Tally]] = defaultdict(list)
    for o in items:
        per_device[(o.device_id, o.group, o.status)].append(tally_of(o))
        per_night[(o.window_start, o.group, o.status)].append(tally_of(o))
    return lines_from_tallies(
        [DeviceTally(dev, grp, _sum(st, ts)) for (dev, grp, st), ts in per_device.items()],
        [NightTally(ws, grp, _sum(st, ts)) for (ws, grp, st), ts in per_night.items()],
        domain_of=domain_of,
        site_of=site_of,
        tz=tz,
    )


def _sum(status: WindowStatus, ts: list[Tally]) -> Tally:
    return Tally(
        status,
        sum(t.windows for t in ts),
        sum(t.kwh_wasted_measured for t in ts),
        sum(t.kwh_wasted_estimated for t in ts),
        sum(t.kwh_avoided for t in ts),
    )
