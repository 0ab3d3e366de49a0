"""Blockers the agent could not read stay unknown through the ledger into the evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from collector.config import CollectorConfig
from collector.inventory import Device, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger, tables
from collector.ledger.store import Accepted
from contract.schema import PowerState, StateBlock, Telemetry

# Tuesday 17 November 2026, 18:00 UTC = 19:00 in Paris; the window opens at 19:30 Paris.
T0 = datetime(2026, 11, 17, 18, 0, tzinfo=UTC)


def _msg(device: str, seq: int, at: datetime, idle: float, known: bool | None) -> Accepted:
    state = StateBlock(power_state=PowerState.IDLE, idle_seconds=idle, sleep_blockers_known=known)
    return Accepted(Telemetry(device_id=device, seq=seq, sent_at=at, state=state), "mairie", at, 0)


def test_unknown_blockers_are_stored_as_unknown_and_said_so(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.migrate()
    inv = Inventory([Device(id=d, kind="desktop") for d in ("pc-u", "pc-k", "pc-old")])
    batch = []
    for i in range(0, 4 * 12 + 1):  # every 5 min for 4 h, idle all along
        at = T0 + timedelta(minutes=5 * i)
        batch.append(_msg("pc-u", i, at, 300.0 * i, known=False))
        batch.append(_msg("pc-k", i, at, 300.0 * i, known=True))
        batch.append(_msg("pc-old", i, at, 300.0 * i, known=None))  # an older agent
    ledger.store(batch)
    rows = ledger.states_for("pc-u", T0, T0 + timedelta(hours=5))
    assert rows and all(not r.blockers_known and r.blockers == () for r in rows)
    assert all(r.blockers_known for r in ledger.states_for("pc-k", T0, T0 + timedelta(hours=5)))
    with ledger.engine.connect() as conn:  # stored as NULL, not as an empty list
        q = select(tables.devices.c.device_id, tables.devices.c.sleep_blockers)
        raw = {r.device_id: r.sleep_blockers for r in conn.execute(q)}
        assert conn.execute(
            select(tables.states.c.blockers).where(tables.states.c.device_id == "pc-u")
        ).scalars().all() == [None] * len(rows)
    assert raw["pc-u"] is None and raw["pc-k"] == []
    records = {d.device_id: d for d in ledger.devices()}
    assert records["pc-u"].sleep_blockers is None and records["pc-k"].sleep_blockers == ()

    now = T0 + timedelta(hours=6)
    recompute(ledger, inv, CollectorConfig(), start=T0, end=now, now=now)
    evidence = {r.device_id: r.violation.evidence for r in ledger.violations(T0, now)}
    assert evidence["pc-u"].endswith("; sleep blockers unknown (the agent could not read them)")
    assert evidence["pc-k"].endswith("; no sleep blocker reported")
    assert evidence["pc-old"].endswith("; no sleep blocker reported")
    ledger.close()
