"""The import-meter CSV parser: every bad line named, nothing guessed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from collector.hosted.parse import ImportError_, parse_meter_csv

PARIS = ZoneInfo("Europe/Paris")
HEAD = "datacentre,period_start,period_end,facility_kwh,it_kwh,operator,renewable_kwh,reused_kwh\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(ImportError_) as info:
        parse_meter_csv(text, PARIS)
    return info.value.problems


def test_dates_are_whole_local_days_and_optional_columns_stay_unknown() -> None:
    [row] = parse_meter_csv(HEAD + "\n" + "dc-1,2026-03-01,2026-03-31,1500,1000,Op,,120\n\n", PARIS)
    # March in Paris: 1 March 00:00 CET to 1 April 00:00 CEST (the clocks change on the 29th)
    assert row.start == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert row.end == datetime(2026, 3, 31, 22, tzinfo=UTC)
    assert row.line == 3 and row.renewable_kwh is None and row.reused_kwh == 120.0


def test_each_bad_line_says_why() -> None:
    problems = _problems(
        HEAD
        + "dc 1,2026-03-01,2026-03-31,1500,1000,Op,,\n"
        + "dc-1,2026-03-01,2026-03-31,1500,1000,Op,1600,\n"
        + "dc-1,2026-04-01,2026-04-30,1500,1000,,,\n"
        + "dc-1,2026-05-01,2026-05-31,-3,1000,Op,,\n"
        + "dc-1,2026-06-01,2026-06-30,1500,0,Op,,\n"
        + "dc-1,2026-07-01,2026-07-31,1500,1000\n"
        + "dc-1,2026-08-01,2026-08-31,1.5e3,1000,Op,,,extra\n"
        + "dc-1,2025-01-01,2026-08-31,nan,1000,Op,,\n"
    )
    assert problems == [
        "line 2: datacentre: 'dc 1' is not a valid name (^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$)",
        "line 3: renewable_kwh 1600 is more than facility_kwh 1500",
        "line 4: operator: empty; say who sent the figures",
        "line 5: facility_kwh: '-3' must be a finite number, not negative",
        "line 6: it_kwh: must be more than 0 (PUE divides by it)",
        "line 7: expected 8 fields separated by ','",
        "line 8: expected 8 fields separated by ','",
        "line 9: the period is longer than 366 days",
    ]


def test_empty_files() -> None:
    assert _problems("") == ["line 1: empty file, expected a header row"]
    assert _problems(HEAD) == ["no data rows after the header"]
