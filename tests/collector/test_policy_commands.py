"""`veille-collector violations`, `exempt` and `exemptions` as processes on a real ledger: the
table shows the evidence, an exemption records who, when and why, and the next analysis run
turns the violation it covers to exempted."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collector.config import load_config
from collector.inventory import load_inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from tests.collector.test_lifecycle import MONDAY, Device1

NOW = MONDAY + timedelta(hours=18)


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _setup(tmp_path: Path) -> tuple[Path, Ledger]:
    (tmp_path / "inventory.toml").write_text(
        '[[device]]\nid = "pc-1"\nkind = "desktop"\npolicy_group = "workstations"\n'
        '[[device]]\nid = "pc-2"\nkind = "desktop"\npolicy_group = "workstations"\n',
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    config = tmp_path / "collector.toml"
    config.write_text(f'inventory = "inventory.toml"\n[ledger]\nurl = "{url}"\n')
    ledger = Ledger(url)
    ledger.migrate()
    ledger.store(Device1().awake_evening(MONDAY))
    return config, ledger


def _analyse(config: Path, ledger: Ledger, now: datetime = NOW) -> None:
    cfg = load_config(config)
    recompute(
        ledger,
        load_inventory(cfg.inventory),
        cfg,
        start=now - timedelta(hours=48),
        end=now,
        now=now,
    )


def test_violations_table_and_json(tmp_path: Path) -> None:
    config, ledger = _setup(tmp_path)
    _analyse(config, ledger)
    res = _cli(config, "violations", "--since", "2026-11-01")
    assert res.returncode == 0, res.stderr
    (line,) = [x for x in res.stdout.splitlines() if "pc-1" in x and "→" in x]
    assert line.startswith("open") and "Mon 16/11 19:30 → Tue 07:30" in line
    assert "awake and idle" in line  # the evidence
    assert (
        "3 settings unknown (not reported, or not readable): pc-1 cannot_sleep, "
        "pc-1 screensaver, pc-1 sleep_timeout" in res.stdout
    )
    doc = json.loads(_cli(config, "violations", "--since", "2026-11-01", "--json").stdout)
    rows = doc["violations"]
    assert [(r["device_id"], r["state"], r["streak"]) for r in rows] == [("pc-1", "open", 1)]
    # pc-1 reported no sleep settings: unknown, never a violation and never compliant
    assert {(f["device_id"], f["outcome"]) for f in doc["configuration"]} == {("pc-1", "unknown")}
    assert "configuration: no device reports settings that break the policy" in res.stdout
    only_resolved = _cli(config, "violations", "--since", "2026-11-01", "--state", "resolved")
    assert "no violation since 2026-11-01" in only_resolved.stdout


def test_an_exemption_is_recorded_and_applied_by_the_next_run(tmp_path: Path) -> None:
    config, ledger = _setup(tmp_path)
    _analyse(config, ledger)
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    res = _cli(
        config, "exempt", "pc-1", "--until", until, "--reason", "patch night", "--by", "alice"
    )
    assert res.returncode == 0, res.stderr
    assert f"pc-1 exempt until {until} (inclusive): patch night — recorded by alice" in res.stdout
    listed = json.loads(_cli(config, "exemptions", "--json").stdout)
    assert [(e["target"], e["by"], e["active"]) for e in listed] == [("pc-1", "alice", True)]
    _analyse(config, ledger, NOW + timedelta(minutes=5))
    (record,) = ledger.violations(MONDAY, MONDAY + timedelta(days=2))
    assert record.state.value == "exempted"
    (event,) = [
        e
        for e in ledger.violation_events(MONDAY, NOW + timedelta(hours=1))
        if e.state.value == "exempted"
    ]
    assert event.previous is not None and event.previous.value == "open"


def test_a_group_exemption_covers_its_devices(tmp_path: Path) -> None:
    config, ledger = _setup(tmp_path)
    until = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    res = _cli(
        config, "exempt", "workstations", "--group", "--until", until, "--reason", "migration week"
    )
    assert res.returncode == 0, res.stderr
    _analyse(config, ledger)
    assert ledger.violations(MONDAY, MONDAY + timedelta(days=2)) == []


def test_bad_exemptions_are_refused_naming_the_argument(tmp_path: Path) -> None:
    config, _ledger = _setup(tmp_path)
    past = _cli(config, "exempt", "pc-1", "--until", "2020-01-01", "--reason", "old")
    assert past.returncode == 2 and "--until: 2020-01-01 is in the past" in past.stderr
    unknown = _cli(config, "exempt", "pc-404", "--until", "2099-01-01", "--reason", "why not")
    assert unknown.returncode == 2
    assert "pc-404: no such device in the inventory or the ledger" in unknown.stderr
    group = _cli(config, "exempt", "nuit", "--group", "--until", "2099-01-01", "--reason", "x y")
    assert group.returncode == 2 and "nuit: no such policy group" in group.stderr
    assert json.loads(_cli(config, "exemptions", "--json").stdout) == []
