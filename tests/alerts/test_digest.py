"""The morning digest: built from open violations (pure), scheduled at the configured hour in
the authority's time zone, delivered once per day and scope."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import CollectorRegistry

from collector.alerts.delivered import DeliveryLog
from collector.alerts.digest import build_digests, run_digest, schedule_digest
from collector.alerts.dispatcher import Dispatcher, RetryPolicy
from collector.alerts.webhook import WebhookChannel
from collector.ledger import Ledger
from tests.alerts.factory import opened, resolved
from tests.alerts.http_sink import http_sink

PARIS = ZoneInfo("Europe/Paris")
MORNING = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_one_digest_per_site_with_open_violations_only() -> None:
    a1 = opened("PC-A-1", site="annexe")
    a2 = opened("PC-A-2", site="annexe", group="accueil")
    h1 = opened("PC-H-1", site="hotel-de-ville")
    h1_again = opened("PC-H-1", site="hotel-de-ville", windows_in_row=4)
    gone = opened("PC-H-2", site="hotel-de-ville")
    events = [a1, a2, h1, h1_again, gone, resolved(gone), resolved(opened("PC-X", site="x"))]
    digests = build_digests(events, by="site", now=MORNING, tz=PARIS)
    assert [(d.name, d.day, d.key) for d in digests] == [
        ("annexe", "2026-12-01", "digest:site:annexe:2026-12-01"),
        ("hotel-de-ville", "2026-12-01", "digest:site:hotel-de-ville:2026-12-01"),
    ]
    annexe, hdv = digests
    assert [(g, [e.device_id for e in evs]) for g, evs in annexe.by_group()] == [
        ("accueil", ["PC-A-2"]),
        ("workstations", ["PC-A-1"]),
    ]
    # PC-H-1 once, as its latest event; PC-H-2's resolution is in the list: left out
    assert [e.device_id for e in hdv.events] == ["PC-H-1"]
    assert next(e for e in hdv.events if e.device_id == "PC-H-1").windows_in_row == 4


def test_digest_by_domain_and_the_local_day() -> None:
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already 1 December in Paris
    [d] = build_digests([opened(), opened("PC-2", site="annexe")], by="domain", now=late, tz=PARIS)
    assert (d.scope, d.name, d.day, len(d.events)) == (
        "domain",
        "Environnement utilisateur",
        "2026-12-01",
        2,
    )


def test_no_open_violation_no_digest() -> None:
    assert build_digests([resolved(opened())], by="site", now=MORNING, tz=PARIS) == []


@pytest.mark.parametrize(
    ("now", "fires"),
    [
        # winter: 08:00 CET = 07:00 UTC
        (datetime(2026, 12, 1, 9, 0, tzinfo=UTC), datetime(2026, 12, 2, 7, 0, tzinfo=UTC)),
        # across the October change: 08:00 CEST on the 24th, 08:00 CET on the 25th
        (datetime(2026, 10, 24, 5, 0, tzinfo=UTC), datetime(2026, 10, 24, 6, 0, tzinfo=UTC)),
        (datetime(2026, 10, 24, 7, 0, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
    ],
)
def test_digest_fires_at_the_hour_in_the_authority_time_zone(
    now: datetime, fires: datetime
) -> None:
    scheduler = BackgroundScheduler(timezone=UTC)
    d = Dispatcher([], registry=CollectorRegistry())
    job = schedule_digest(scheduler, d, list, at=time(8, 0), timezone="Europe/Paris", by="site")
    assert job.trigger.get_next_fire_time(None, now) == fires


@pytest.mark.integration
def test_run_digest_delivers_each_scope_once_per_day(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.migrate()
    violations = [opened("PC-1"), opened("PC-2", site="annexe")]
    with http_sink() as sink:
        hook = WebhookChannel(sink.url)
        d = Dispatcher(
            [hook],
            registry=CollectorRegistry(),
            delivery_log=DeliveryLog(ledger.engine),
            retry=RetryPolicy(max_attempts=2, initial_seconds=0.05),
            digest_channels=["webhook"],
        )
        d.start()
        try:
            run_digest(d, lambda: violations, by="site", tz=PARIS, now=MORNING)
            assert d.drain(10)
            run_digest(d, lambda: violations, by="site", tz=PARIS, now=MORNING + timedelta(hours=1))
            assert d.drain(10)
            run_digest(d, lambda: violations, by="site", tz=PARIS, now=MORNING + timedelta(days=1))
            assert d.drain(10)
        finally:
            d.stop()
    days = sorted((r.body["digest"]["name"], r.body["digest"]["day"]) for r in sink.received)
    assert days == [
        ("annexe", "2026-12-01"),
        ("annexe", "2026-12-02"),
        ("hotel-de-ville", "2026-12-01"),
        ("hotel-de-ville", "2026-12-02"),
    ]
    ledger.close()
