"""The demo's footprint reports: the current quarter and year, in French and English, and the
public yearly page, under ``demo-output/footprint/``.

The demo has no real baseline: it sets one with invented figures, labelled so in the report,
so that the trajectory section and chart show what they look like.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.analysis.periods import period_of
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.report.command import run_report
from collector.report_settings import BaselineSettings

DEMO_BASELINE = BaselineSettings.model_validate(
    {
        "year": 2021,
        "source": "démo : chiffres inventés / demo: invented figures",
        "domains": {
            "Environnement utilisateur": {"kwh": 9000.0, "tco2e": 0.54},
            "Environnement serveur": {"kwh": 60000.0, "tco2e": 3.6},
            "Réseaux et télécoms": {"kwh": 4000.0, "tco2e": 0.24},
        },
    }
)


def write_demo_reports(
    ledger: Ledger, inventory: Inventory, cfg: CollectorConfig, end: datetime, output: Path
) -> list[Path]:
    tz = cfg.policy.timezone
    cfg = cfg.model_copy(update={"baseline": DEMO_BASELINE})
    today = end.astimezone(ZoneInfo(tz)).date()
    out = output / "footprint"
    files: list[Path] = []
    for kind in ("quarter", "year"):
        period = period_of("quarter" if kind == "quarter" else "year", today, tz)
        files += run_report(
            ledger,
            inventory,
            cfg,
            period,
            kind,
            out=out,
            formats=["csv", "json", "html"],
            langs=["fr", "en"],
            quiet=True,
        )
    year = period_of("year", today, tz)
    files += run_report(
        ledger, inventory, cfg, year, "year", out=out, formats=["html"], langs=["fr"],
        public=True, quiet=True,
    )  # fmt: skip
    return files
