"""Repeat offenders: streaks of violated windows, unknown windows skipped, the threshold."""

from __future__ import annotations

import pytest

from collector.alerts.events import AlertKind
from collector.alerts.repeat import windows_in_row, with_streak
from tests.alerts.factory import opened, resolved


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([], 0),
        ([False], 0),
        ([True], 1),
        ([True, True, True], 3),
        ([True, False, True, True], 2),
        ([True, True, None, True], 3),  # a silent night in between: no evidence either way
        ([True, True, False, None], 0),
        ([None, None], 0),
    ],
)
def test_windows_in_row(outcomes: list[bool | None], expected: int) -> None:
    assert windows_in_row(outcomes) == expected


def test_threshold_turns_an_opened_violation_into_a_repeat_offender() -> None:
    first = with_streak(opened(), 2, threshold=3)
    assert (first.kind, first.repeat_offender, first.windows_in_row) == (
        AlertKind.VIOLATION_OPENED,
        False,
        2,
    )
    third = with_streak(opened(), 3, threshold=3)
    assert (third.kind, third.repeat_offender, third.state) == (
        AlertKind.VIOLATION_REPEATED,
        True,
        "repeated",
    )
    assert third.key == opened().key


def test_streak_needs_an_open_violation_and_a_sane_threshold() -> None:
    with pytest.raises(ValueError, match="only an open violation"):
        with_streak(resolved(opened()), 3, threshold=3)
    with pytest.raises(ValueError, match="threshold must be at least 2"):
        with_streak(opened(), 3, threshold=1)
