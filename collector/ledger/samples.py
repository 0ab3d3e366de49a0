"""The ``samples`` table's writes: rows built in one pass for the driver, and their insert.
Used by :mod:`collector.ledger.store` inside its transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, Dialect

from collector.ledger import tables as t
from collector.model import Sample
from collector.wire import AnyReading
from contract.schema import Quality

Processors = tuple[Callable[[Any], Any], Callable[[Any], Any]]
"""The bind processors of ``samples.ts`` and ``samples.value`` (SQLite)."""

SAMPLE_COLUMNS = ("device_id", "ts", "metric", "component", "value", "source", "quality")
_SAMPLES_SQL = (
    f"INSERT INTO {t.samples.name} ({', '.join(SAMPLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in SAMPLE_COLUMNS)})"
)


class SampleRows:
    """A batch's sample rows in ``SAMPLE_COLUMNS`` order, built in one pass. With SQLite's bind
    processors (``procs``) they are the driver's parameters: each distinct time converted once
    (as UTC, the ledger's zone: every accepted time is UTC already), the value by its column's
    processor. Without (PostgreSQL), SQLAlchemy converts them."""

    def __init__(self, procs: Processors | None) -> None:
        self.params: list[tuple[Any, ...]] = []
        self.converted = procs is not None  # the driver's parameters, else SQLAlchemy's
        self._procs = procs
        self._stamps: dict[datetime, Any] = {}

    def add(self, device_id: str, readings: Iterable[AnyReading | Sample]) -> None:
        q = _QUALITY
        if self._procs is None:
            self.params += [
                (device_id, r.ts, r.metric, r.component, r.value, r.source, q[r.quality])
                for r in readings
            ]
            return
        to_ts, to_value = self._procs
        stamps = self._stamps
        for r in readings:
            stamp = stamps.get(r.ts)
            if stamp is None:
                ts = r.ts if r.ts.tzinfo is None else r.ts.astimezone(UTC)
                stamp = stamps[r.ts] = to_ts(ts)
            value = r.value if to_value is _same else to_value(r.value)
            self.params.append(
                (device_id, stamp, r.metric, r.component, value, r.source, q[r.quality])
            )


#: a quality's text (``.value`` is a property: a dict is five times cheaper, and the driver
#: binds a plain ``str`` twice as fast as the enum)
_QUALITY: dict[Quality, str] = {q: q.value for q in Quality}


def sqlite_sample_processors(dialect: Dialect) -> Processors | None:
    """The SQLite bind processors of ``samples.ts`` and ``samples.value``; None if any other
    column has one (then samples take SQLAlchemy's own path)."""
    procs = {
        name: t.samples.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in SAMPLE_COLUMNS
    }
    to_ts, to_value = procs.pop("ts"), procs.pop("value")
    if any(procs.values()) or dialect.paramstyle != "qmark":
        return None
    return (to_ts or _same), (to_value or _same)


def _same(value: Any) -> Any:
    return value


def sample_row(s: Sample) -> dict[str, Any]:
    return {
        "device_id": s.device_id,
        "ts": s.ts,
        "metric": s.metric,
        "component": s.component,
        "value": s.value,
        "source": s.source,
        "quality": s.quality.value,
    }


def insert_samples(conn: Connection, rows: SampleRows) -> None:
    """On SQLite the rows go straight to the driver's executemany (SQLAlchemy's per-row
    parameter handling took two thirds of the time of a large insert), already converted by
    the columns' own bind processors (:class:`SampleRows`)."""
    if not rows.converted:
        conn.execute(
            t.samples.insert(), [dict(zip(SAMPLE_COLUMNS, r, strict=True)) for r in rows.params]
        )
        return
    conn.exec_driver_sql(_SAMPLES_SQL, rows.params)
