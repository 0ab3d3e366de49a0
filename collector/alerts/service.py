"""The collector's alerts: after each analysis run, the changes of state of the violations (of
sleep windows and of settings) go to the dispatcher, and the open ones are re-asserted on the
stateful channels; every morning the open ones make the digest. Reads the ledger; the only glue
between analysis and alerts. After a restart, the first run replays the period's changes
(deduplicated), so nothing that was still queued at shutdown is lost.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.exc import SQLAlchemyError

from collector.alerts.config_alerts import config_alert_events, config_open_events
from collector.alerts.digest import run_digest, schedule_digest
from collector.alerts.dispatcher import Dispatcher
from collector.alerts.events import AlertEvent
from collector.alerts.gauge import ViolationGauge
from collector.alerts.violations import alert_events, open_events
from collector.alerts.watch import Watched, watch
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.ledger.config_violations import (
    config_violation_events,
    config_violations,
    config_violations_by_key,
)
from collector.model import ConfigViolationEvent, ViolationEvent, ViolationRecord

log = logging.getLogger(__name__)


class AlertService:
    """Violations in the ledger → alert events → the dispatcher."""

    def __init__(
        self, cfg: CollectorConfig, ledger: Ledger, inventory: Inventory, dispatcher: Dispatcher
    ) -> None:
        self.cfg = cfg
        self.ledger = ledger
        self.inventory = inventory
        self.dispatcher = dispatcher
        self.tz = ZoneInfo(cfg.policy.timezone)
        self._replayed = False

    def _sites(self) -> dict[str, str]:
        return {d.device_id: d.site for d in self.ledger.devices() if d.site}

    def _recent(self, now: datetime) -> list[ViolationRecord]:
        # the analysis period, plus the day before it (windows judged whole)
        since = now - timedelta(hours=self.cfg.analysis.lookback_hours) - timedelta(days=1)
        return self.ledger.violations(since, now)

    def _config(
        self, changes: Sequence[ConfigViolationEvent], sites: dict[str, str]
    ) -> tuple[list[AlertEvent], list[AlertEvent]]:
        """(the alerts of the configuration changes, the open configuration violations)."""
        active = config_violations(self.ledger.engine)
        by_key = {r.key: r for r in active}
        missing = [c.key for c in changes if c.key not in by_key]
        by_key.update(config_violations_by_key(self.ledger.engine, missing))
        return (
            config_alert_events(changes, by_key, self.inventory, sites),
            config_open_events(active, self.inventory, sites),
        )

    def on_analysis(
        self,
        changes: Sequence[ViolationEvent],
        now: datetime,
        config_changes: Sequence[ConfigViolationEvent] = (),
    ) -> list[AlertEvent]:
        """Publish the alerts of ``changes`` and ``config_changes`` (configuration
        violations), refresh the open ones; returns what was published.

        The first run after start-up publishes every change of the analysis period instead:
        what was queued but not delivered when the collector stopped goes out now, and what
        was delivered is filtered out by ``alert_deliveries``.
        """
        try:
            if not self._replayed:
                since = now - timedelta(hours=self.cfg.analysis.lookback_hours) - timedelta(days=1)
                changes = self.ledger.violation_events(since, now + timedelta(microseconds=1))
                config_changes = config_violation_events(
                    self.ledger.engine, since, now + timedelta(microseconds=1)
                )
            records = self._recent(now)
            by_key = {r.key: r for r in records}
            for c in changes:
                if (c.device_id, c.window_start) not in by_key:  # an old one, resolved only now
                    for r in self.ledger.violations_of(c.device_id, c.window_start):
                        by_key.setdefault(r.key, r)
            sites = self._sites()
            config_events, config_open = self._config(config_changes, sites)
        except SQLAlchemyError as exc:
            # the analysis is saved; its alerts go out on the next run (replayed then)
            log.error("alerts: cannot read the violations: %s", type(exc).__name__)
            self._replayed = False
            return []
        self._replayed = True
        threshold = self.cfg.alerts.repeat_threshold
        events = alert_events(
            changes, by_key, self.inventory, tz=self.tz, repeat_threshold=threshold, sites=sites
        )
        still_open = open_events(
            records, self.inventory, tz=self.tz, repeat_threshold=threshold, sites=sites
        )
        events += config_events
        still_open += config_open
        watched = self._watch(now)
        events += watched.events
        still_open += watched.still_open
        self.dispatcher.publish(events)
        self.dispatcher.refresh(still_open)
        if events:
            log.info(
                "alerts: %d event(s) from %d change(s) of state",
                len(events),
                len(changes) + len(config_changes),
            )
        return events

    def _watch(self, now: datetime) -> Watched:
        """PUE above its limit and silent devices; nothing (logged) when the ledger fails."""
        try:
            return watch(self.ledger, self.inventory, self.cfg, now)
        except SQLAlchemyError as exc:
            log.error("alerts: cannot read PUE or report times: %s", type(exc).__name__)
            return Watched((), ())

    def open_alerts(self, now: datetime | None = None) -> list[AlertEvent]:
        """The open violations' alerts now, of windows and of settings (the digest's source)."""
        sites = self._sites()
        return open_events(
            self._recent(now or datetime.now(UTC)),
            self.inventory,
            tz=self.tz,
            repeat_threshold=self.cfg.alerts.repeat_threshold,
            sites=sites,
        ) + config_open_events(config_violations(self.ledger.engine), self.inventory, sites)

    def morning_digest(self, now: datetime | None = None) -> int:
        """Queue today's digests now (what the schedule does at ``alerts.digest_hour``)."""
        a = self.cfg.alerts
        return len(
            run_digest(
                self.dispatcher, lambda: self.open_alerts(now), by=a.digest_by, tz=self.tz, now=now
            )
        )

    def schedule(self, scheduler: BaseScheduler) -> None:
        """The morning digest, at ``alerts.digest_hour`` in ``policy.timezone``."""
        a = self.cfg.alerts
        schedule_digest(
            scheduler,
            self.dispatcher,
            self.open_alerts,
            at=a.digest_time,
            timezone=self.cfg.policy.timezone,
            by=a.digest_by,
        )

    def where(self, events: Sequence[AlertEvent]) -> str:
        """One line for people: how many events of which kind went to which channels."""
        kinds = Counter(str(e.kind) for e in events)
        counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
        line = f"{len(events)} alert events ({counts}) → {', '.join(self.dispatcher.workers)}"
        gauge = self.dispatcher.workers.get("gauge")
        if gauge is not None and isinstance(gauge.channel, ViolationGauge):
            n = len(gauge.channel.open_devices())
            line += f"; veille_sleep_violation_open on /metrics: {n} devices"
        return line

    def start(self) -> None:
        self.dispatcher.start()

    def stop(self) -> None:
        self.dispatcher.stop()
