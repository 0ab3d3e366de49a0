"""Configuration violations' alert events (pure): keys, labels kept on resolution, routing to
the digest, the e-mail in French and English, the gauge; and PoE nights' events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry

from collector.alerts.config_alerts import config_alert_events, config_open_events
from collector.alerts.digest import build_digests
from collector.alerts.events import AlertKind, Batch
from collector.alerts.facility import Place
from collector.alerts.gauge import ViolationGauge
from collector.alerts.mail import render
from collector.alerts.poe_alerts import PortNight, poe_events
from collector.analysis.poe import PoeViolation
from collector.inventory import Device, Inventory
from collector.model import ConfigViolationEvent, ConfigViolationRecord, ViolationState

PARIS = ZoneInfo("Europe/Paris")
FOUND = datetime(2026, 11, 17, 9, 5, tzinfo=UTC)
FIXED = FOUND + timedelta(days=1)
INV = Inventory([Device(id="pc-7", kind="desktop", policy_group="workstations", site="mairie")])
OPEN, RESOLVED, EXEMPTED = ViolationState.OPEN, ViolationState.RESOLVED, ViolationState.EXEMPTED


def _record(
    state: ViolationState = OPEN, resolved: datetime | None = None
) -> ConfigViolationRecord:
    return ConfigViolationRecord(
        "pc-7", "screensaver", state, "a screensaver is enabled instead of sleep (sleep after "
        "20 min)", "workstations", FOUND, resolved or FOUND, resolved,
    )  # fmt: skip


def _change(
    state: ViolationState, previous: ViolationState | None, at: datetime, detail: str
) -> ConfigViolationEvent:
    return ConfigViolationEvent("pc-7", "screensaver", FOUND, at, state, previous, detail)


def test_opened_then_resolved_with_the_same_labels() -> None:
    rec = _record()
    [opened] = config_alert_events([_change(OPEN, None, FOUND, "")], {rec.key: rec}, INV)
    assert opened.kind is AlertKind.CONFIG_VIOLATION_OPENED
    assert opened.key == "config:pc-7:screensaver:2026-11-17T09:05:00+00:00"
    assert opened.label_map() == {
        "domain": "Environnement utilisateur",
        "site": "mairie",
        "group": "workstations",
        "device_id": "pc-7",
        "rule": "screensaver",
    }
    assert opened.alert_name == "VeilleSleepSettings" and opened.state == "open"
    done = _record(RESOLVED, FIXED)
    [resolved] = config_alert_events(
        [_change(RESOLVED, OPEN, FIXED, "no screensaver")], {done.key: done}, INV
    )
    assert resolved.kind is AlertKind.CONFIG_VIOLATION_RESOLVED
    assert (resolved.key, resolved.ends_at, resolved.description) == (
        opened.key,
        FIXED,
        "no screensaver",
    )
    assert resolved.label_map() == opened.label_map()  # or Alertmanager keeps the open one
    # an exemption ends it when it was recorded; a change never announced gives nothing
    exempt = _record(EXEMPTED)
    [ended] = config_alert_events(
        [_change(EXEMPTED, OPEN, FIXED, "exempt")], {exempt.key: exempt}, INV
    )
    assert ended.ends_at == FIXED
    assert config_alert_events([_change(OPEN, None, FOUND, "")], {}, INV) == []


def test_open_ones_reach_the_digest_the_gauge_and_both_languages() -> None:
    [opened] = config_open_events([_record(), _record(RESOLVED, FIXED)], INV)
    [digest] = build_digests([opened], by="site", now=FIXED, tz=PARIS)
    assert [e.key for e in digest.events] == [opened.key]
    fr = render(Batch(digest.events, digest=digest), "fr", PARIS)
    assert "a screensaver is enabled instead of sleep" in fr.text
    en = render(Batch((opened,)), "en", PARIS)
    assert en.subject == "[veille] Sleep settings against the policy: pc-7"
    gauge = ViolationGauge(CollectorRegistry())
    gauge.send(Batch((opened,)))
    assert gauge.open_devices() == [("pc-7", "Environnement utilisateur", "mairie", "workstations")]
    [resolved] = config_alert_events(
        [_change(RESOLVED, OPEN, FIXED, "no screensaver")],
        {_record().key: _record(RESOLVED, FIXED)},
        INV,
    )
    assert render(Batch((resolved,)), "fr", PARIS).subject == (
        "[veille] Réglages de veille corrigés : pc-7"
    )
    gauge.send(Batch((resolved,)))
    assert gauge.open_devices() == []


def _night(day: int) -> tuple[datetime, datetime]:
    start = datetime(2026, 11, day, 18, 30, tzinfo=UTC)
    return start, start + timedelta(hours=12)


def _breach(day: int) -> PoeViolation:
    a, b = _night(day)
    return PoeViolation("sw-1", "port-1.1", a, b, a, b, 12 * 3600.0, 7.0, 2.0, "on all night")


def test_a_poe_night_resolves_only_with_a_later_judged_compliant_night() -> None:
    place = {"sw-1": Place("Réseaux et télécoms", "mairie")}
    nights = [
        PortNight("sw-1", "port-1.1", _night(16), _breach(16), True),
        PortNight("sw-1", "port-1.1", _night(17), None, False),  # no data: unknown
        PortNight("sw-1", "port-1.1", _night(18), _breach(18), True),
    ]
    events, still = poe_events(nights, place)
    assert [(e.key, e.state) for e in events] == [
        ("poe:sw-1:port-1.1:2026-11-16T18:30:00+00:00", "open"),
        ("poe:sw-1:port-1.1:2026-11-18T18:30:00+00:00", "open"),
    ]
    assert still == events
    compliant = PortNight("sw-1", "port-1.1", _night(19), None, True)
    events, still = poe_events([*nights, compliant], place)
    assert still == [] and [e.state for e in events] == ["resolved", "resolved"]
    assert {e.ends_at for e in events} == {_night(19)[1]}
    assert events[0].label_map()["port"] == "port-1.1" and events[0].site == "mairie"
