"""The demo's analysis step: hourly kWh, PUE, sleep and configuration violations, and their
alerts, in one run or, with the one-night violator (:mod:`collector.sim.violator`), in two:

1. the morning after the violator's night awake: the violation is found, goes out (the
   morning digest by e-mail and webhook, Alertmanager, MQTT, the gauge);
2. at the end of the demo, after the night it slept: the violation is resolved, and the
   resolution reaches each receiver.

After each run, what the receivers got about the violator is read back from them (the
webhook's file, the saved e-mails, Alertmanager's API v2) and printed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from collector.app import CollectorApp
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.jobs import recompute
from collector.sim.alert_receivers import AlertReceivers
from collector.sim.violator import Scenario


def _local(ts: datetime, tz: ZoneInfo) -> str:
    return f"{ts.astimezone(tz):%Y-%m-%d %H:%M}"


def analyse(
    app: CollectorApp,
    inventory: Inventory,
    cfg: CollectorConfig,
    receivers: AlertReceivers,
    *,
    end: datetime,
    replay: timedelta,
    scenario: Scenario | None,
    violator: str | None,
    say: Callable[[str], None],
) -> None:
    """Run the analysis (and its alerts) at each of the scenario's times, then at ``end``."""
    tz = ZoneInfo(cfg.policy.timezone)
    runs = [("first-run", scenario.first_run)] if scenario and violator else []
    runs.append(("last-run", end))
    if scenario and violator:
        a, b = scenario.night, scenario.night_after
        say(
            f"simulated violator {violator}: awake over the window {_local(a[0], tz)} → "
            f"{_local(a[1], tz)}, asleep over the next one ({_local(b[0], tz)} → "
            f"{_local(b[1], tz)})"
        )
    for name, at in runs:
        job = recompute(
            app.ledger, inventory, cfg, start=at - replay - timedelta(days=1), end=at, now=at
        )
        say(
            f"analysis at {_local(at, tz)}: {job.devices} devices, {job.hours} device-hours, "
            f"{job.violations} violation windows"
        )
        if app.alerts is None:
            continue
        sent = app.alerts.on_analysis(job.events, at, job.config_events)
        app.alerts.morning_digest(at)  # as the scheduler does at alerts.digest_hour
        app.alerts.dispatcher.drain(10)
        say(app.alerts.where(sent))
        held = receivers.snapshot(name)
        if violator:
            say(f"{violator} so far: {receivers.mentions(violator, held)}")
    for line in receivers.summary():
        say(line)
