"""The ledger table ``imported_energy``: hosted datacentres' figures from ``import-meter``.

A file is written in one transaction: all its rows or none. A row for a (datacentre,
period_start, period_end) already imported replaces it (an operator's corrected figures); a
row overlapping another stored period of the same datacentre without matching it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, delete, select

from collector.hosted.parse import ImportedPeriod, ImportError_
from collector.ledger.tables import imported_energy as t
from collector.ledger.tables import utc


def _period(r: object) -> ImportedPeriod:
    return ImportedPeriod(
        datacentre=r.datacentre,  # type: ignore[attr-defined]
        start=utc(r.period_start),  # type: ignore[attr-defined]
        end=utc(r.period_end),  # type: ignore[attr-defined]
        facility_kwh=r.facility_kwh,  # type: ignore[attr-defined]
        it_kwh=r.it_kwh,  # type: ignore[attr-defined]
        operator=r.operator,  # type: ignore[attr-defined]
        line=r.line,  # type: ignore[attr-defined]
        renewable_kwh=r.renewable_kwh,  # type: ignore[attr-defined]
        reused_kwh=r.reused_kwh,  # type: ignore[attr-defined]
    )


def imported_periods(
    engine: Engine, start: datetime, end: datetime, datacentre: str | None = None
) -> list[ImportedPeriod]:
    """Stored periods overlapping [start, end), by datacentre then start."""
    q = select(t).where(t.c.period_start < end, t.c.period_end > start)
    if datacentre is not None:
        q = q.where(t.c.datacentre == datacentre)
    with engine.connect() as conn:
        rows = [_period(r) for r in conn.execute(q)]
    return sorted(rows, key=lambda p: (p.datacentre, p.start))


def store_imported(
    engine: Engine, rows: Sequence[ImportedPeriod], *, file: str, now: datetime | None = None
) -> tuple[int, int]:
    """Write ``rows`` in one transaction; returns (new rows, replaced rows).

    Raises :class:`ImportError_` (nothing written) when a row overlaps a stored period of its
    datacentre that it does not replace exactly.
    """
    at = now or datetime.now(UTC)
    replaced = 0
    with engine.begin() as conn:
        problems = []
        for r in rows:
            same = and_(
                t.c.datacentre == r.datacentre,
                t.c.period_start == r.start,
                t.c.period_end == r.end,
            )
            clash = conn.execute(
                select(t.c.period_start, t.c.period_end, t.c.file, t.c.line).where(
                    t.c.datacentre == r.datacentre,
                    t.c.period_start < r.end,
                    t.c.period_end > r.start,
                    ~same,
                )
            ).first()
            if clash is not None:
                problems.append(
                    f"line {r.line}: {r.datacentre}: overlaps the period "
                    f"{utc(clash.period_start):%Y-%m-%d %H:%M}Z → "
                    f"{utc(clash.period_end):%Y-%m-%d %H:%M}Z imported from "
                    f"{clash.file} line {clash.line}"
                )
                continue
            replaced += conn.execute(delete(t).where(same)).rowcount
            conn.execute(
                t.insert().values(
                    datacentre=r.datacentre,
                    period_start=r.start,
                    period_end=r.end,
                    facility_kwh=r.facility_kwh,
                    it_kwh=r.it_kwh,
                    renewable_kwh=r.renewable_kwh,
                    reused_kwh=r.reused_kwh,
                    operator=r.operator,
                    file=file,
                    line=r.line,
                    imported_at=at,
                )
            )
        if problems:
            raise ImportError_(problems)  # rolls the whole file back
    return len(rows) - replaced, replaced
