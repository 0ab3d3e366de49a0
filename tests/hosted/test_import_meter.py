"""``veille-collector import-meter`` as a process on a real CSV file and a real ledger: the
file goes in whole or not at all, each bad line is named, and the hosted datacentre's PUE
over a quarter comes from the imported figures, labelled with their operator."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collector.hosted.pue import hosted_pue, with_imported
from collector.ledger import Ledger
from collector.ledger.imported import imported_periods

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hosted" / "operateur-ouest-2026-q3.csv"
PARIS = ZoneInfo("Europe/Paris")
Q3 = (datetime(2026, 7, 1, tzinfo=PARIS), datetime(2026, 10, 1, tzinfo=PARIS))


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", "import-meter", *args, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    path = tmp_path / "collector.toml"
    path.write_text(f'[ledger]\nurl = "{url}"\n[policy]\ntimezone = "Europe/Paris"\n')
    return path


def _stored(config: Path) -> Ledger:
    ledger = Ledger(f"sqlite:///{config.parent / 'ledger.sqlite'}")
    ledger.migrate()
    return ledger


def test_a_quarter_of_operator_figures_gives_the_hand_computed_pue(config: Path) -> None:
    done = _cli(config, str(FIXTURE))
    assert done.returncode == 0, done.stderr
    assert "3 period(s) imported for dc-hosted-1 (3 new, 0 replacing" in done.stdout
    ledger = _stored(config)
    try:
        periods = imported_periods(ledger.engine, *Q3)
    finally:
        ledger.close()
    assert [(p.line, p.facility_kwh, p.it_kwh) for p in periods] == [
        (2, 41540.5, 29000.0),  # "41 540,5": French thousands and decimal comma
        (3, 40300.0, 28000.0),
        (4, 39000.0, 30000.0),
    ]
    [r] = with_imported([], periods, start=Q3[0], end=Q3[1])
    # (41 540.5 + 40 300 + 39 000) / (29 000 + 28 000 + 30 000)
    assert r.pue == pytest.approx(120840.5 / 87000, rel=1e-12)
    assert round(r.pue or 0, 3) == 1.389
    assert r.source == "imported from Operateur Ouest"
    assert r.coverage == pytest.approx(1.0)
    assert r.ref == pytest.approx(0.5)  # 60 420.25 renewable of 120 840.5
    assert r.erf is None  # no reused_kwh: unknown, not 0
    assert r.interim and r.category == "category not stated (imported figures)"
    assert not any(n.startswith("pro rata") for n in r.notes)

    # a month overlapping half of a report period counts pro rata, and says so
    half = hosted_pue(
        "dc-hosted-1",
        periods,
        start=datetime(2026, 9, 16, tzinfo=PARIS),
        end=datetime(2026, 10, 1, tzinfo=PARIS),
    )
    assert (half.facility_kwh, half.it_kwh, half.pue) == (19500.0, 15000.0, 1.3)
    assert any("counted for 360 h of 720 h (50.0%)" in n for n in half.notes)

    # importing the same file again replaces its rows, never adds to them
    again = _cli(config, str(FIXTURE))
    assert again.returncode == 0 and "(0 new, 3 replacing earlier figures)" in again.stdout


def test_a_bad_file_is_refused_whole_naming_each_line(config: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "datacentre,period_start,period_end,facility_kwh,it_kwh,operator\n"
        "dc-hosted-2,2026-07-01,2026-07-31,1000,800,Op\n"
        "dc-hosted-2,2026-08-01,2026-08-31,700,800,Op\n"
        "dc-hosted-2,2026-09-31,2026-09-30,1000,800,Op\n"
        "dc-hosted-2,2026-07-15,2026-07-20,1000,800,Op\n"
        "dc-hosted-2,2026-10-01,2026-10-31,1000,,Op\n",
        encoding="utf-8",
    )
    done = _cli(config, str(bad))
    assert done.returncode == 1
    assert "bad.csv: refused, nothing imported:" in done.stderr
    assert "line 3: facility_kwh 700 is less than it_kwh 800 (PUE below 1)" in done.stderr
    assert "line 4: period_start: '2026-09-31' is not a date YYYY-MM-DD" in done.stderr
    assert "line 5: dc-hosted-2: its period overlaps line 2's" in done.stderr
    assert "line 6: it_kwh: '' is not a number" in done.stderr
    assert "Traceback" not in done.stderr
    ledger = _stored(config)
    try:
        assert imported_periods(ledger.engine, *Q3) == []  # line 2 was good: not kept either
    finally:
        ledger.close()


def test_a_row_clashing_with_stored_figures_rolls_the_whole_file_back(
    config: Path, tmp_path: Path
) -> None:
    assert _cli(config, str(FIXTURE)).returncode == 0
    clash = tmp_path / "clash.csv"
    clash.write_text(
        "datacentre;period_start;period_end;facility_kwh;it_kwh;source\n"
        "dc-hosted-9;2026-07-01;2026-07-31;1000;800;Autre\n"  # good, and alone it would go in
        "dc-hosted-1;2026-07-15;2026-08-14;1000;800;Autre\n",  # straddles two stored months
        encoding="utf-8",
    )
    done = _cli(config, str(clash))
    assert done.returncode == 1
    assert "line 3: dc-hosted-1: overlaps the period 2026-06-30 22:00Z" in done.stderr
    assert "operateur-ouest-2026-q3.csv line 2" in done.stderr
    ledger = _stored(config)
    try:
        stored = imported_periods(ledger.engine, *Q3)
    finally:
        ledger.close()
    assert {p.datacentre for p in stored} == {"dc-hosted-1"} and len(stored) == 3


def test_unreadable_and_headerless_files_are_refused_with_a_reason(
    config: Path, tmp_path: Path
) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("datacentre;opérateur\n".encode("latin-1"))
    done = _cli(config, str(latin))
    assert done.returncode == 1 and "not UTF-8 text" in done.stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("dc,start,end\nx,1,2\n", encoding="utf-8")
    done = _cli(config, str(wrong))
    assert done.returncode == 1
    assert "line 1: missing column datacentre" in done.stderr
    assert "line 1: missing column operator (or source)" in done.stderr
    assert "line 1: unknown column 'dc'" in done.stderr
    missing = _cli(config, str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "cannot read: No such file or directory" in missing.stderr
