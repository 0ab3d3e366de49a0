"""The pure rules of pue_above_limit and device_silent (collector.alerts.facility)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.alerts.events import AlertKind
from collector.alerts.facility import Place, PuePoint, gaps_in, pue_events, silent_events
from collector.model import ReportTimes

T0 = datetime(2026, 3, 2, tzinfo=UTC)
PLACE = {"dc-a": Place("Environnement serveur", "beaulieu")}


def _points(*values: float | None, coverage: float = 1.0) -> list[PuePoint]:
    return [PuePoint("dc-a", T0 + timedelta(hours=i), v, coverage) for i, v in enumerate(values)]


def test_an_excursion_opens_above_the_limit_and_resolves_at_or_under_it() -> None:
    events, still = pue_events(_points(1.4, 1.6, 1.7, 1.5, 1.4, 1.55), {"dc-a": 1.5}, PLACE)
    assert [(e.key, e.state) for e in events] == [
        ("pue:dc-a:2026-03-02T01:00:00+00:00", "resolved"),
        ("pue:dc-a:2026-03-02T05:00:00+00:00", "open"),
    ]
    assert events[0].ends_at == T0 + timedelta(hours=3)
    assert events[0].starts_at == T0 + timedelta(hours=1)
    assert still == [events[1]] and still[0].kind is AlertKind.PUE_ABOVE_LIMIT
    assert dict(still[0].labels) == {"alert_key": still[0].key}


def test_no_figure_neither_opens_nor_resolves() -> None:
    # None (no facility meter, no IT energy) and thin windows are no figure, never "under"
    pts = [*_points(1.6, None, 1.7), PuePoint("dc-a", T0 + timedelta(hours=3), 1.0, 0.4)]
    events, still = pue_events(pts, {"dc-a": 1.5}, PLACE)
    assert [(e.key, e.state) for e in events] == [("pue:dc-a:2026-03-02T00:00:00+00:00", "open")]
    assert still == events
    assert pue_events(_points(None, None), {"dc-a": 1.5}, PLACE) == ([], [])


def test_each_datacentre_has_its_own_limit() -> None:
    pts = [*_points(1.6), PuePoint("dc-b", T0, 1.6, 1.0)]
    _, still = pue_events(pts, {"dc-a": 1.5, "dc-b": 1.8}, PLACE)
    assert [e.datacentre for e in still] == ["dc-a"]


def _reports(times: dict[str, list[datetime]], after: timedelta) -> list[ReportTimes]:
    return [ReportTimes(d, *gaps_in(t, after)) for d, t in times.items()]


def test_a_silence_is_a_gap_longer_than_the_delay() -> None:
    minute = timedelta(minutes=1)
    times = [T0 + i * minute for i in range(10)] + [T0 + 40 * minute, T0 + 41 * minute]
    after = timedelta(minutes=15)
    events, still = silent_events(
        _reports({"srv-1": times, "srv-2": [], "srv-3": [T0]}, after),
        now=T0 + 50 * minute,
        silent_after=after,
        places={"srv-1": Place("Environnement serveur", "hdv")},
    )
    assert [(e.key, e.state) for e in events] == [
        ("silent:srv-1:2026-03-02T00:09:00+00:00", "resolved"),
        ("silent:srv-3:2026-03-02T00:00:00+00:00", "open"),
    ]
    assert events[0].starts_at == T0 + 24 * minute and events[0].ends_at == T0 + 40 * minute
    assert events[1].site == "unknown"  # not placed: said so, not guessed
    assert still == [events[1]]
    # exactly the delay is not yet silent, and a ledger gap of exactly the delay is no silence
    one = [ReportTimes("a", T0, ((T0 - after, T0),))]
    assert silent_events(one, now=T0 + after, silent_after=after, places={}) == ([], [])
    with pytest.raises(ValueError, match="silent_after must be positive"):
        silent_events([], now=T0, silent_after=timedelta(0), places={})
