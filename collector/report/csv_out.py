"""The report as CSV files, one table each, for the carbon-footprint spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path

from collector.report.summary import Summary


def write_csv(s: Summary, directory: Path, prefix: str = "") -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    def table(name: str, header: list[str], rows: list[list[object]]) -> None:
        path = directory / f"{prefix}{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        files.append(path)

    period = [s.start.isoformat(), s.end.isoformat()]
    table(
        "energy_by_domain",
        [
            "period_start",
            "period_end",
            "domain",
            "kwh",
            "measured_kwh",
            "estimated_kwh",
            "coverage",
            "devices",
        ],
        [
            [
                *period,
                d.domain,
                round(d.kwh, 4),
                round(d.measured_kwh, 4),
                round(d.estimated_kwh, 4),
                round(d.coverage, 4),
                d.devices,
            ]
            for d in s.domains
        ],
    )
    table(
        "pue_by_datacentre",
        [
            "period_start",
            "period_end",
            "datacentre",
            "pue",
            "interim",
            "category",
            "facility_kwh",
            "it_kwh",
            "coverage",
        ],
        [
            [
                p.start.isoformat(),
                p.end.isoformat(),
                p.datacentre,
                "" if p.pue is None else round(p.pue, 3),
                p.interim,
                p.category,
                round(p.facility_kwh, 4),
                round(p.it_kwh, 4),
                round(p.coverage, 4),
            ]
            for p in s.pue
        ],
    )
    table(
        "carbon",
        [
            "period_start",
            "period_end",
            "method",
            "factor",
            "g_co2e_per_kwh",
            "kg_co2e",
            "source",
            "year",
        ],
        [
            [*period, c.method, c.name, c.g_per_kwh, round(c.kg_co2e, 3), c.source, c.year]
            for c in s.carbon
        ],
    )
    table(
        "sleep_violations",
        [
            "device_id",
            "domain",
            "window_start",
            "window_end",
            "awake_hours",
            "max_idle_hours",
            "blockers",
            "resolved",
            "evidence",
        ],
        [
            [
                v.device_id,
                v.domain,
                v.window_start.isoformat(),
                v.window_end.isoformat(),
                round(v.awake_seconds / 3600, 2),
                round(v.max_idle_seconds / 3600, 2),
                "; ".join(v.blockers),
                v.resolved,
                v.evidence,
            ]
            for v in s.violations
        ],
    )
    table(
        "energy_by_device",
        ["device_id", "kwh"],
        [[k, round(v, 4)] for k, v in sorted(s.per_device.items())],
    )
    return files
