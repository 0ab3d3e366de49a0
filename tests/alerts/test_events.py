"""Alert events: stable keys, states for deduplication, and bad events refused at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from collector.alerts.events import AlertKind, violation_key
from tests.alerts.factory import WINDOW, opened, resolved


def test_violation_key_is_utc_whatever_the_offset() -> None:
    paris = WINDOW.astimezone(timezone(timedelta(hours=1)))
    assert violation_key("PC-1", paris) == "violation:PC-1:2026-11-30T18:30:00+00:00"
    assert violation_key("PC-1", paris) == violation_key("PC-1", WINDOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        violation_key("PC-1", datetime(2026, 11, 30, 18, 30))


def test_states_open_repeated_resolved_share_one_key() -> None:
    first = opened()
    again = opened(windows_in_row=3)
    done = resolved(first)
    assert (first.state, again.state, done.state) == ("open", "repeated", "resolved")
    assert first.key == again.key == done.key
    assert again.repeat_offender and not first.repeat_offender
    assert done.resolved and not first.resolved


def test_label_map_carries_identity_then_extra_labels() -> None:
    e = replace(opened(), labels=(("floor", "2"),))
    assert e.label_map() == {
        "domain": "Environnement utilisateur",
        "site": "hotel-de-ville",
        "group": "workstations",
        "device_id": "PC-ACCUEIL-01",
        "floor": "2",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"starts_at": datetime(2026, 11, 30, 19, 0)}, "starts_at must be timezone-aware"),
        ({"key": ""}, "key must not be empty"),
        ({"ends_at": WINDOW - timedelta(days=1)}, "ends_at is before starts_at"),
        ({"ends_at": WINDOW + timedelta(days=1)}, "ends_at is set on resolution"),
        ({"labels": (("a", "1"), ("a", "2"))}, "duplicate label names"),
        ({"windows_in_row": 0}, "windows_in_row must be at least 1"),
        ({"labels": (("bad label", "x"),)}, "label names must match"),
    ],
)
def test_bad_events_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(opened(), **change)  # type: ignore[arg-type]


def test_resolution_without_end_is_refused() -> None:
    with pytest.raises(ValueError, match="ends_at is set on resolution"):
        replace(opened(), kind=AlertKind.VIOLATION_RESOLVED)
