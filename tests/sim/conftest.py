"""Shared simulation fixtures: one fleet and one week of agent history, built once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from collector.sim.agents import SimMessage, history
from collector.sim.fleet import Fleet, build_fleet
from collector.sim.office import PARIS

SEED = 7
TODAY = date(2025, 11, 20)
#: A full office week without public holidays: Monday 3 to Monday 10 November 2025.
WEEK_START = datetime(2025, 11, 3, tzinfo=PARIS)
WEEK_END = WEEK_START + timedelta(days=7)


@pytest.fixture(scope="session")
def fleet() -> Fleet:
    return build_fleet(SEED, today=TODAY)


@pytest.fixture(scope="session")
def week() -> list[SimMessage]:
    """Every message of the week, from a fleet of its own (history moves its live cursor)."""
    return list(history(build_fleet(SEED, today=TODAY), WEEK_START, WEEK_END))
