"""The baseline ("T0") and the straight-line path to the target (pure functions).

The baseline is one civil year's kWh and tCO2e per domain, from ``[baseline]`` in the config
or a CSV with the header ``domain,kwh,tco2e`` (one row per domain, decimals with a dot, UTF-8).

Scaling to a period: a yearly figure is scaled to a shorter period *by its length in hours*
(a quarter of 2208 h gets 2208/8760 of the year), with no seasonal profile: the baseline does
not say how it was spread over the year, so the report says it is a pro-rata.

The path: the baseline's yearly figure B at the baseline year, falling in a straight line to
``B * (1 - target_reduction)`` at the target year. A period is set against the path at the
period's middle, both counted in years from the middle of each civil year, scaled to the
period's length. ``on_track`` when the figure is at or below the path.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.analysis.periods import Period, hours_in, period_of
from collector.report_settings import BaselineDomain, BaselineSettings
from contract.settings import ConfigError

COLUMNS = ("domain", "kwh", "tco2e")


@dataclass(frozen=True, slots=True)
class Baseline:
    year: int
    source: str
    kwh: dict[str, float]
    tco2e: dict[str, float]
    target_reduction: float
    target_year: int

    @property
    def total_kwh(self) -> float:
        return sum(self.kwh.values())

    @property
    def total_tco2e(self) -> float:
        return sum(self.tco2e.values())


@dataclass(frozen=True, slots=True)
class PathPoint:
    """A figure set against the baseline and the path, both scaled to the same period."""

    measure: str  # "kwh" or "tco2e"
    actual: float
    baseline: float
    path: float
    change_vs_baseline: float  # (actual - baseline) / baseline
    on_track: bool


def load_csv(path: Path) -> dict[str, BaselineDomain]:
    """Read ``domain,kwh,tco2e``; ConfigError naming each bad line, nothing half-read."""
    problems: list[str] = []
    out: dict[str, BaselineDomain] = {}
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise ConfigError(str(path), [f"line 1: the header must be {','.join(COLUMNS)}"])
            for n, row in enumerate(reader, start=2):
                domain = (row["domain"] or "").strip()
                try:
                    kwh, t = float(row["kwh"]), float(row["tco2e"])
                except (TypeError, ValueError):
                    problems.append(f"line {n}: kwh and tco2e must be numbers")
                    continue
                if not domain:
                    problems.append(f"line {n}: domain is empty")
                elif domain in out:
                    problems.append(f"line {n}: domain {domain!r} given twice")
                elif kwh < 0 or t < 0 or kwh != kwh or t != t:
                    problems.append(f"line {n}: kwh and tco2e must not be negative")
                else:
                    out[domain] = BaselineDomain(kwh=kwh, tco2e=t)
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    if problems:
        raise ConfigError(str(path), problems)
    return out


def baseline_of(cfg: BaselineSettings) -> Baseline | None:
    """The configured baseline, None when there is none."""
    if cfg.year is None:
        return None
    domains = load_csv(cfg.file) if cfg.file is not None else cfg.domains
    return Baseline(
        year=cfg.year,
        source=cfg.source or (str(cfg.file) if cfg.file else "configuration"),
        kwh={d: v.kwh for d, v in domains.items()},
        tco2e={d: v.tco2e for d, v in domains.items()},
        target_reduction=cfg.target_reduction,
        target_year=cfg.target_year,
    )


def _year_of(t: datetime, tz: str) -> float:
    """``t`` as a fractional civil year (2026.0 = 1 January 2026, local midnight)."""
    y = period_of("year", t.astimezone(ZoneInfo(tz)).date(), tz)
    return y.first_day.year + (t - y.start) / (y.end - y.start)


def scale(yearly: float, period: Period, year_hours: int) -> float:
    """A yearly figure pro-rata the period's hours."""
    return yearly * period.hours / year_hours


def path_point(
    measure: str, actual: float, b: Baseline, yearly: float, period: Period, tz: str
) -> PathPoint:
    """``actual`` over ``period`` against the baseline ``yearly`` figure and the path."""
    base_year = period_of("year", date(b.year, 1, 1), tz)
    base = scale(yearly, period, hours_in(base_year.start, base_year.end))
    middle = period.start + (period.end - period.start) / 2
    t = _year_of(middle, tz) - (b.year + 0.5)
    span = b.target_year - b.year
    share = min(max(t / span, 0.0), 1.0)
    path = base * (1.0 - b.target_reduction * share)
    change = (actual - base) / base if base else 0.0
    return PathPoint(measure, actual, base, path, change, actual <= path)
