"""The demo's one-night violator, and the two analysis runs that show its violation opened,
then resolved once it sleeps.

:func:`scenario` picks two consecutive sleep windows of the default policy group from the
replayed week: the last complete one whose morning resume report is in (``night_after``, the
device complies) and the one before (``night``, it stays awake). :func:`with_violator` makes one
desktop that sleeps every night stay awake over that one absence (a blocking app holds a sleep
request). The demo's first analysis runs the morning after ``night`` (the violation is found
and alerted; ``night_after`` has not begun), the second at the end of the demo (the device
slept in ``night_after``: the violation is resolved, in every channel).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from collector.analysis.windows import Window, windows_between
from collector.config import CollectorConfig
from collector.sim.fleet import Fleet, Insomnia

#: The resume report of a night comes when the user arrives (07:50-09:15): judge after it.
REPORT_DELAY = timedelta(hours=3)
BLOCKER = "Microsoft Teams"


@dataclass(frozen=True, slots=True)
class Scenario:
    """The violator's night awake, the next one asleep, and when the first analysis runs."""

    night: Window
    night_after: Window

    @property
    def first_run(self) -> datetime:
        return min(self.night[1] + REPORT_DELAY, self.night_after[0])


def scenario(cfg: CollectorConfig, now: datetime, replay: timedelta) -> Scenario | None:
    """Two consecutive windows of the ``workstations`` group, both judged by ``now``; None
    when the replayed period holds fewer than two (a replay shorter than two nights)."""
    group = cfg.policy.groups.get("workstations")
    if group is None:
        return None
    windows = [
        w
        for w in windows_between(now - replay, now, group, cfg.policy)
        if w[0] >= now - replay + timedelta(hours=12) and w[1] <= now - REPORT_DELAY
    ]
    if len(windows) < 2:
        return None
    return Scenario(windows[-2], windows[-1])


def with_violator(fleet: Fleet, sc: Scenario) -> Fleet:
    """``fleet`` with its first desktop that sleeps every night (no insomnia, no exemption, no
    part-time day) kept awake over the absence that starts before ``sc.night`` only."""
    for i, ws in enumerate(fleet.workstations):
        if ws.kind != "desktop" or ws.insomnia or ws.exemption or ws.part_time_wednesday:
            continue
        awake = Insomnia(
            BLOCKER,
            keeps_display_on=False,
            nightly_probability=1.0,
            since=sc.night[0] - timedelta(hours=12),
            until=sc.night[1],
        )
        stations = list(fleet.workstations)
        stations[i] = replace(ws, insomnia=awake)
        return replace(fleet, workstations=tuple(stations), violator=ws.id)
    return fleet
