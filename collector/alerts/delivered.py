"""What each alert channel has delivered, in the ledger table ``alert_deliveries``.

One row per (event key, state, channel), written once the channel's ``send`` returned. The
dispatcher asks before queueing, so the same open violation is never sent twice on a channel,
across restarts too. Rows older than the ledger's retention can be pruned with :meth:`prune`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from collector.ledger.tables import alert_deliveries as t

Ident = tuple[str, str]  # (key, state)


class DeliveryLogError(Exception):
    """The ledger could not be read or written."""


class DeliveryLog:
    """Read and write ``alert_deliveries`` on the ledger's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def delivered(self, channel: str, idents: Iterable[Ident]) -> set[Ident]:
        """Which of ``idents`` ``channel`` has already delivered."""
        wanted = list(dict.fromkeys(idents))
        found: set[Ident] = set()
        try:
            with self.engine.connect() as conn:
                for i in range(0, len(wanted), 500):
                    chunk = wanted[i : i + 500]
                    rows = conn.execute(
                        select(t.c.key, t.c.state).where(
                            t.c.channel == channel, tuple_(t.c.key, t.c.state).in_(chunk)
                        )
                    )
                    found.update((r.key, r.state) for r in rows)
        except SQLAlchemyError as exc:
            raise DeliveryLogError(f"alert_deliveries: read failed: {type(exc).__name__}") from None
        return found

    def record(self, channel: str, idents: Iterable[Ident], at: datetime) -> None:
        """Remember that ``channel`` delivered ``idents`` (already-known rows are kept)."""
        rows = [
            {"key": k, "state": s, "channel": channel, "delivered_at": at}
            for k, s in dict.fromkeys(idents)
        ]
        if not rows:
            return
        dialect = sqlite if self.engine.dialect.name == "sqlite" else postgresql
        stmt = dialect.insert(t).on_conflict_do_nothing()
        try:
            with self.engine.begin() as conn:
                conn.execute(stmt, rows)
        except SQLAlchemyError as exc:
            raise DeliveryLogError(
                f"alert_deliveries: write failed: {type(exc).__name__}"
            ) from None

    def prune(self, before: datetime) -> int:
        """Delete rows delivered before ``before``; returns how many."""
        with self.engine.begin() as conn:
            return int(conn.execute(delete(t).where(t.c.delivered_at < before)).rowcount)
