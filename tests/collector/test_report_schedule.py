"""The scheduler writes each quarter's report after its end, and the year's (and its public
page) after the year's end, in local time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from collector.app import CollectorApp
from collector.config import load_config
from collector.inventory import load_inventory
from collector.report.schedule import due_reports
from tests.collector.report_ledger import TZ


def test_due_reports_follow_the_local_calendar() -> None:
    assert [(p.label, k) for p, k in due_reports(date(2026, 10, 1), TZ)] == [("2026-T3", "quarter")]
    assert [(p.label, k) for p, k in due_reports(date(2027, 1, 1), TZ)] == [
        ("2026-T4", "quarter"),
        ("2026", "year"),
    ]
    assert due_reports(date(2026, 10, 2), TZ) == [] and due_reports(date(2026, 11, 1), TZ) == []


def test_the_app_writes_the_reports_due_and_schedules_the_job(
    report_setup: Path, tmp_path: Path
) -> None:
    config = report_setup.with_name(f"collector-{tmp_path.name}.toml")
    config.write_text(
        report_setup.read_text(encoding="utf-8")
        + f'\n[reports]\noutput = "{tmp_path / "reports"}"\nrun_at = "02:30"\n',
        encoding="utf-8",
    )
    cfg = load_config(config)
    app = CollectorApp(cfg, load_inventory(cfg.inventory))
    # 1 October 2026, 02:30 in Paris is 00:30 UTC: the third quarter has ended
    files = app.write_due_reports(datetime(2026, 10, 1, 0, 30, tzinfo=UTC))
    names = sorted(f.name for f in files)
    assert "2026-T3_energy.csv" in names and "2026-T3_fr.html" in names
    assert all(f.parent == tmp_path / "reports" / "2026-T3" for f in files)
    # New Year's Day: the fourth quarter, the year and its public page
    files = app.write_due_reports(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert {f.parent.name for f in files} == {"2026-T4", "2026"}
    assert any(f.name == "2026_public_fr.html" for f in files)
    # the service registers the job on the local calendar
    app.start_jobs()
    try:
        job = app._jobs.get_job("reports")
        assert job is not None
        nxt = job.trigger.get_next_fire_time(None, datetime(2026, 11, 17, tzinfo=UTC))
        assert nxt.isoformat() == "2027-01-01T02:30:00+01:00"
    finally:
        app.stop()
