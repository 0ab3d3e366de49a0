"""bench/table.py renders the table of bench/README.md from the committed results files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import table  # noqa: E402


def test_the_readme_table_is_the_one_the_results_give() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "table.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_every_row_reads_its_figures_from_its_file(tmp_path: Path) -> None:
    rendered = table.render()
    lines = rendered.splitlines()[2:]
    assert len(lines) == len(table.ROWS)
    snmp = json.loads((table.RESULTS / "snmp_poll.json").read_text())
    ours = snmp["veille"]["cpu_ms_per_poll"]
    theirs = snmp["prometheus_snmp_exporter"]["cpu_ms_per_poll"]
    [line] = [ln for ln in lines if ln.startswith("| SNMP CPU per poll |")]
    assert f"| {ours:.2f} ms |" in line and f"| {theirs:.2f} ms |" in line
    assert f"| {ours / theirs:.2f} |" in line
    # A figure changes with its file, and a missing file says so.
    (tmp_path / "snmp_poll.json").write_text(
        json.dumps({**snmp, "veille": {**snmp["veille"], "cpu_ms_per_poll": 0.5}})
    )
    other = table.render(tmp_path)
    assert "| SNMP CPU per poll | 0.50 ms |" in other
    assert other.count("not run yet") == len(table.ROWS) - 2


def test_rows_measured_while_their_code_changed_say_to_re_run() -> None:
    rendered = table.render()
    lines = rendered.splitlines()[2:]
    for row, line in zip(table.ROWS, lines, strict=True):
        assert line.endswith(f"| `{row.results}` |")
        if (table.RESULTS / row.results).exists():
            assert ("to re-run" in line) == row.rerun
