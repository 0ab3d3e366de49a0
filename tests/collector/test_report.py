"""Ledger → jobs → report: kWh per domain, a violation with evidence, CSV and HTML written."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collector.config import CollectorConfig
from collector.inventory import Device, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.ledger.store import Accepted
from collector.report import build_summary, render_text, write_reports
from contract.schema import PowerState, Quality, Reading, StateBlock, Telemetry

# Tuesday 17 November 2026, 18:00 UTC = 19:00 in Paris; the window opens at 19:30 Paris.
T0 = datetime(2026, 11, 17, 18, 0, tzinfo=UTC)


def _msg(
    device: str, seq: int, at: datetime, watts: float, idle: float, blockers: list[str]
) -> Accepted:
    msg = Telemetry(
        device_id=device,
        seq=seq,
        sent_at=at,
        kind="desktop",
        readings=[
            Reading(
                ts=at, metric="power_watts", value=watts, source="model", quality=Quality.ESTIMATED
            )
        ],
        state=StateBlock(power_state=PowerState.IDLE, idle_seconds=idle, sleep_blockers=blockers),
    )
    return Accepted(msg, "mairie", at, 0.0)


def test_report_from_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.migrate()
    inv = Inventory(
        [
            Device(id="pc-1", kind="desktop", policy_group="workstations"),
            Device(id="pc-2", kind="desktop", policy_group="workstations"),
        ]
    )
    batch = []
    # pc-1 stays awake at 50 W all evening, idle, Teams blocking sleep: a violation.
    for i in range(0, 6 * 12 + 1):  # every 5 min for 6 h
        at = T0 + timedelta(minutes=5 * i)
        batch.append(_msg("pc-1", i, at, 50.0, idle=300.0 * i, blockers=["Microsoft Teams"]))
    # pc-2 and an unlisted PC: 2 hours at 30 W before the window, then nothing.
    for i in range(0, 25):
        at = T0 - timedelta(hours=2) + timedelta(minutes=5 * i)
        batch.append(_msg("pc-2", i, at, 30.0, idle=0.0, blockers=[]))
        batch.append(_msg("pc-x", i, at, 30.0, idle=0.0, blockers=[]))
    ledger.store(batch)
    cfg = CollectorConfig()
    now = T0 + timedelta(hours=8)
    job = recompute(ledger, inv, cfg, start=T0 - timedelta(hours=4), end=now, now=now)
    assert job.devices == 3
    assert job.violations == 1

    s = build_summary(ledger, inv, cfg, start=T0 - timedelta(hours=4), end=now)
    (user_env,) = [d for d in s.domains if d.domain == "Environnement utilisateur"]
    assert abs(user_env.kwh - (0.050 * 6 + 0.030 * 2)) < 1e-6
    assert s.unassigned == ["pc-x"]
    (v,) = s.violators
    assert v.device_id == "pc-1" and "Microsoft Teams" in v.blockers
    assert "Teams" in v.latest_evidence
    assert s.estimated_share == 1.0
    text = render_text(s)
    assert "pc-1" in text and "Environnement utilisateur" in text

    files = write_reports(
        ledger, inv, cfg, start=T0 - timedelta(hours=4), end=now, output=tmp_path / "out", summary=s
    )
    names = {f.name for f in files}
    assert {"energy_by_domain.csv", "sleep_violations.csv", "report.html"} <= names
    assert any(f.name == "2026-T4.html" for f in files)
    with (tmp_path / "out" / "sleep_violations.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["device_id"] == "pc-1" and "Microsoft Teams" in rows[0]["blockers"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<svg" in html and "pc-1" in html
    assert "src=" not in html and "<link" not in html and "<script" not in html  # self-contained
