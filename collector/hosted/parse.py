"""The hosted datacentres' CSV (``veille-collector import-meter FILE.csv``): facility and IT
energy per period, as the operators of private datacentres send them each month.

Columns (header row, any order; ``;`` or ``,`` as separator, taken from the header line; with
``;`` a decimal comma is accepted): ``datacentre``, ``period_start``, ``period_end`` (dates
YYYY-MM-DD, both days included, in ``policy.timezone``), ``facility_kwh``, ``it_kwh``,
``operator`` (or ``source``), and optionally ``renewable_kwh``, ``reused_kwh`` (empty: not
known, never 0). The file is read whole and checked whole: any bad row refuses the file, each
error naming its line and why.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from contract.schema import IDENT_PATTERN

REQUIRED = ("datacentre", "period_start", "period_end", "facility_kwh", "it_kwh")
OPTIONAL = ("renewable_kwh", "reused_kwh")
OPERATOR = ("operator", "source")
MAX_DAYS = 366
_IDENT = re.compile(IDENT_PATTERN)


@dataclass(frozen=True, slots=True)
class ImportedPeriod:
    """One operator's figures for one datacentre over [start, end) (UTC instants)."""

    datacentre: str
    start: datetime
    end: datetime
    facility_kwh: float
    it_kwh: float
    operator: str
    line: int
    renewable_kwh: float | None = None
    reused_kwh: float | None = None


class ImportError_(Exception):
    """The file is refused: ``problems`` names each bad line and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _number(raw: str, name: str, comma: bool) -> float:
    text = raw.strip().replace("\u202f", "").replace("\xa0", "")
    if comma:
        text = text.replace(" ", "").replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: {raw!r} must be a finite number, not negative")
    return value


def _day(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a date YYYY-MM-DD") from None


def _row(
    cells: dict[str, str], op_col: str, comma: bool, tz: ZoneInfo, line: int
) -> ImportedPeriod:
    dc = cells["datacentre"].strip()
    if not _IDENT.fullmatch(dc):
        raise ValueError(f"datacentre: {dc!r} is not a valid name ({IDENT_PATTERN})")
    first, last = (
        _day(cells["period_start"], "period_start"),
        _day(cells["period_end"], "period_end"),
    )
    if last < first:
        raise ValueError(f"period_end {last} is before period_start {first}")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"the period is longer than {MAX_DAYS} days")
    fac = _number(cells["facility_kwh"], "facility_kwh", comma)
    it = _number(cells["it_kwh"], "it_kwh", comma)
    if it == 0:
        raise ValueError("it_kwh: must be more than 0 (PUE divides by it)")
    if fac < it:
        raise ValueError(f"facility_kwh {fac:g} is less than it_kwh {it:g} (PUE below 1)")
    extra: dict[str, float | None] = {}
    for name in OPTIONAL:
        raw = (cells.get(name) or "").strip()
        extra[name] = _number(raw, name, comma) if raw else None
    for name in OPTIONAL:
        value = extra[name]
        if value is not None and value > fac:
            raise ValueError(f"{name} {value:g} is more than facility_kwh {fac:g}")
    operator = cells[op_col].strip()
    if not operator:
        raise ValueError(f"{op_col}: empty; say who sent the figures")
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return ImportedPeriod(
        datacentre=dc,
        start=start,
        end=end,
        facility_kwh=fac,
        it_kwh=it,
        operator=operator,
        line=line,
        renewable_kwh=extra["renewable_kwh"],
        reused_kwh=extra["reused_kwh"],
    )


def _overlaps(rows: list[ImportedPeriod]) -> list[str]:
    problems = []
    by_dc: dict[str, list[ImportedPeriod]] = {}
    for r in rows:
        by_dc.setdefault(r.datacentre, []).append(r)
    for dc, periods in sorted(by_dc.items()):
        periods.sort(key=lambda r: r.start)
        for a, b in pairwise(periods):
            if b.start < a.end:
                problems.append(f"line {b.line}: {dc}: its period overlaps line {a.line}'s")
    return problems


def parse_meter_csv(text: str, tz: ZoneInfo) -> list[ImportedPeriod]:
    """Every row of ``text``, or :class:`ImportError_` naming every bad line."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].strip():
        raise ImportError_(["line 1: empty file, expected a header row"])
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=sep)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    op_col = next((c for c in OPERATOR if c in header), None)
    if op_col is None:
        missing.append("operator (or source)")
    unknown = [h for h in header if h not in (*REQUIRED, *OPTIONAL, *OPERATOR)]
    if missing or unknown:
        problems = [f"line 1: missing column {c}" for c in missing]
        problems += [f"line 1: unknown column {c!r}" for c in unknown]
        raise ImportError_(problems)
    assert op_col is not None
    rows: list[ImportedPeriod] = []
    problems = []
    for cells in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in cells.values() if isinstance(v, str)):
            continue  # a blank line
        if None in cells or any(cells.get(c) is None for c in header):
            problems.append(f"line {line}: expected {len(header)} fields separated by {sep!r}")
            continue
        try:
            rows.append(_row(cells, op_col, sep == ";", tz, line))
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    problems += _overlaps(rows)
    if not rows and not problems:
        problems.append("no data rows after the header")
    if problems:
        raise ImportError_(problems)
    return rows
