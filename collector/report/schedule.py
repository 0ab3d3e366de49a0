"""The reports the scheduler writes: after each civil quarter's end, that quarter; after each
year's end, that year too (local time of ``policy.timezone``), into ``reports.output``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.analysis.periods import Period, period_of
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.report.command import run_report
from collector.report.i18n import Lang


def due_reports(today: date, tz: str) -> list[tuple[Period, str]]:
    """The periods that ended yesterday: a quarter on the 1st of January, April, July and
    October, and the year as well on the 1st of January."""
    if today.day != 1 or today.month not in (1, 4, 7, 10):
        return []
    yesterday = today - timedelta(days=1)
    due = [(period_of("quarter", yesterday, tz), "quarter")]
    if today.month == 1:
        due.append((period_of("year", yesterday, tz), "year"))
    return due


def write_due_reports(
    ledger: Ledger, inventory: Inventory, cfg: CollectorConfig, now: datetime
) -> list[Path]:
    """Write the reports due at ``now`` (UTC), each in ``reports.output/<label>/``."""
    tz = cfg.policy.timezone
    langs: list[Lang] = [cfg.reports.lang]
    files: list[Path] = []
    for period, kind in due_reports(now.astimezone(ZoneInfo(tz)).date(), tz):
        out = cfg.reports.output / period.label
        # a year also gets its public page, aggregates only
        for public in (False, True) if kind == "year" else (False,):
            files += run_report(
                ledger,
                inventory,
                cfg,
                period,
                kind,
                out=out,
                formats=cfg.reports.formats,
                langs=langs,
                public=public,
                quiet=True,
            )
    return files
