"""Reports: the period summary and the quarterly report, as text, CSV and HTML."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.report.csv_out import write_csv
from collector.report.html_out import write_html
from collector.report.summary import Summary, build_summary
from collector.report.text import render_text

__all__ = ["Summary", "build_summary", "render_text", "write_reports"]


def write_reports(
    ledger: Ledger,
    inventory: Inventory,
    cfg: CollectorConfig,
    *,
    start: datetime,
    end: datetime,
    output: Path,
    summary: Summary | None = None,
) -> list[Path]:
    """Write the period report and the report of the quarter containing ``end``."""
    from collector.analysis.rollup import quarter_bounds, quarter_label

    s = summary or build_summary(ledger, inventory, cfg, start=start, end=end)
    files = write_csv(s, output)
    files.append(write_html(s, output / "report.html", "veille — energy report"))
    q_start, q_end = quarter_bounds(end.date(), cfg.policy.timezone)
    label = quarter_label(end.date())
    q = build_summary(ledger, inventory, cfg, start=q_start, end=min(q_end, end))
    files += write_csv(q, output / "quarterly", prefix=f"{label}_")
    files.append(
        write_html(
            q, output / "quarterly" / f"{label}.html", f"veille — rapport trimestriel {label}"
        )
    )
    return files
