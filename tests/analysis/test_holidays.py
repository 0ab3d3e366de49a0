"""Public holidays from the holidays package, regional ones included (Alsace-Moselle)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from collector.analysis.windows import is_working_day, policy_window, public_holidays
from collector.config import PolicyGroup, PolicySettings

PARIS = ZoneInfo("Europe/Paris")
GOOD_FRIDAY_2026 = date(2026, 4, 3)
SAINT_STEPHEN_2025 = date(2025, 12, 26)  # a Friday


@pytest.mark.parametrize("subdivision", ["57", "6AE", "Moselle", "Alsace"])
def test_alsace_moselle_adds_good_friday_and_26_december(subdivision: str) -> None:
    national = public_holidays("FR", 2026)
    regional = public_holidays("FR", 2026, subdivision)
    assert GOOD_FRIDAY_2026 not in national and GOOD_FRIDAY_2026 in regional
    assert regional - national == {GOOD_FRIDAY_2026, date(2026, 12, 26)}
    assert SAINT_STEPHEN_2025 in public_holidays("FR", 2025, subdivision)


def test_good_friday_is_a_sleep_window_only_in_alsace_moselle() -> None:
    group = PolicyGroup()
    moselle = PolicySettings(holidays_subdivision="57")
    france = PolicySettings()
    assert not is_working_day(GOOD_FRIDAY_2026, group, moselle)
    assert is_working_day(GOOD_FRIDAY_2026, group, france)
    noon = datetime(2026, 4, 3, 12, 0, tzinfo=PARIS)
    # Thursday 2 April 19:30 CEST -> Tuesday 7 April 07:30 (Easter Monday is national).
    assert policy_window(noon, group, moselle) == (
        datetime(2026, 4, 2, 17, 30, tzinfo=UTC),
        datetime(2026, 4, 7, 5, 30, tzinfo=UTC),
    )
    assert policy_window(noon, group, france) is None


def test_overseas_department_holidays() -> None:
    # Abolition of slavery: 20 December in La Réunion, not in metropolitan France.
    assert date(2026, 12, 20) in public_holidays("FR", 2026, "974")
    assert date(2026, 12, 20) not in public_holidays("FR", 2026)


def test_unknown_subdivision_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="does not have subdivision"):
        PolicySettings(holidays_subdivision="99")
