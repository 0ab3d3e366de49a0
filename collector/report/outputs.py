"""Write a :class:`PeriodReport` as CSV and JSON (for the footprint tool) and HTML (for people).

Files, for a report labelled ``2026-T3`` (``--public`` adds ``_public`` to each name):

- ``2026-T3_energy.csv``: one row per domain, site and device kind, and the total
  (columns in :data:`ENERGY_COLUMNS`, :mod:`collector.report.columns` holds them all); the rows
  of each scope add up to the total;
- ``2026-T3_carbon.csv``: t CO2e per scope, name and emission factor (:data:`CARBON_COLUMNS`);
- ``2026-T3_datacentres.csv``: PUE, REF, CUE per datacentre (:data:`DC_COLUMNS`);
- ``2026-T3_datacentre_carbon.csv``: per datacentre, location- and market-based t CO2e and
  CUE side by side, one row per factor or contract they rest on (:data:`DC_CARBON_COLUMNS`);
- ``2026-T3_comparisons.csv``: against the previous period, the year before and the baseline;
- ``2026-T3_sleep.csv``: sleep-policy compliance per total, domain, site, policy group and
  night (:data:`SLEEP_COLUMNS`);
- ``2026-T3.json``: the whole report (the dataclasses of :mod:`collector.report.model`);
- ``2026-T3_fr.html`` / ``2026-T3_en.html``: the page, self-contained and printable.

CSV and JSON numbers are plain (dot decimals, full precision); only the HTML is localised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import TypeAdapter

from collector.report import charts
from collector.report.columns import (
    CARBON_COLUMNS,
    COMPARISON_COLUMNS,
    DC_CARBON_COLUMNS,
    DC_COLUMNS,
    ENERGY_COLUMNS,
    SLEEP_COLUMNS,
)
from collector.report.i18n import Labels, Lang
from collector.report.model import EnergyLine, PeriodReport, carbon_sides


@dataclass(frozen=True)
class Charts:
    weekly: charts.Chart
    pue: charts.Chart
    progress: charts.Chart
    nights: charts.Chart


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("collector.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
    )


def _v(x: float | int | None) -> object:
    return "" if x is None else x


def _lines(r: PeriodReport) -> list[EnergyLine]:
    return [r.total, *r.domains, *r.sites, *r.kinds]


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_csv(r: PeriodReport, out: Path, stem: str) -> list[Path]:
    p = r.label
    first, last = r.first_day.isoformat(), r.last_day.isoformat()
    energy = [
        (
            p,
            first,
            last,
            x.scope,
            x.name,
            x.kwh,
            _v(x.measured_kwh),
            _v(x.estimated_kwh),
            _v(x.coverage),
            _v(x.devices),
            _v(x.tco2e("location")),
            _v(x.tco2e("market")),
            _v(x.sleep_compliance),
            _v(x.sleep_wasted_kwh),
            _v(x.own_kwh),
        )
        for x in _lines(r)
    ]
    carbon = [
        (p, x.scope, x.name, c.factor, c.method, c.g_co2e_per_kwh, c.tco2e, c.source, c.year)
        for x in _lines(r)
        for c in x.carbon
    ]
    dcs: list[list[object]] = []
    for dc in r.datacentres:
        q, a = dc.period, dc.annual
        base: list[object] = [p, dc.name, _v(q.pue), q.figure, q.category, q.facility_kwh]
        base += [q.it_kwh, q.coverage, q.hours, _v(q.ref), _v(a.pue if a else q.pue)]
        base.append(a.coverage if a else q.coverage)
        cues: list[tuple[str, float | None]] = [*sorted(q.cue_kg_per_kwh.items())]
        loc, market = (side.tco2e for side in carbon_sides(q))
        dcs += [
            [*base, name, _v(v), _v(loc), _v(market), dc.source, _v(q.erf)]
            for name, v in cues or [("", None)]
        ]
    comps: list[tuple[object, ...]] = []
    for c in r.comparisons:
        comps.append(
            (p, c.against, c.label, "kwh", r.total.kwh, _v(c.kwh), _v(c.change_kwh), "", "")
        )
    if r.trajectory:
        for pt in r.trajectory.points:
            year = str(r.trajectory.baseline_year)
            comps.append(
                (
                    p,
                    "baseline",
                    year,
                    pt.measure,
                    pt.actual,
                    pt.baseline,
                    pt.change_vs_baseline,
                    pt.path,
                    pt.on_track,
                )
            )
    dc_carbon = [
        (
            p,
            dc.name,
            side.method,
            _v(side.tco2e),
            _v(side.cue),
            f.name,
            f.share,
            f.g_co2e_per_kwh,
            f.source,
            f.year,
        )
        for dc in r.datacentres
        for side in carbon_sides(dc.period)
        for f in side.factors
    ]
    sleep = [
        (
            p,
            c.scope,
            c.name,
            _v(c.rate),
            c.compliant,
            c.violated,
            c.unknown,
            c.exempt,
            _v(c.devices),
            _v(c.unknown_devices),
            c.kwh_wasted_measured,
            c.kwh_wasted_estimated,
            c.kwh_avoided_estimated,
        )
        for c in r.compliance
    ]
    return [
        _write(out / f"{stem}_energy.csv", ENERGY_COLUMNS, energy),
        _write(out / f"{stem}_carbon.csv", CARBON_COLUMNS, carbon),
        _write(out / f"{stem}_datacentres.csv", DC_COLUMNS, dcs),
        _write(out / f"{stem}_datacentre_carbon.csv", DC_CARBON_COLUMNS, dc_carbon),
        _write(out / f"{stem}_comparisons.csv", COMPARISON_COLUMNS, comps),
        _write(out / f"{stem}_sleep.csv", SLEEP_COLUMNS, sleep),
    ]


def to_json(r: PeriodReport) -> bytes:
    return TypeAdapter(PeriodReport).dump_json(r, indent=2)


def render_html(r: PeriodReport, lang: Lang) -> str:
    t = Labels(lang)
    key = "public_title" if r.public else f"title_{r.kind}"
    title = t(key, label=r.label, first=t.day(r.first_day), last=t.day(r.last_day))
    c = Charts(
        weekly=charts.weekly(
            r.weekly_kwh,
            t("chart_weekly"),
            lambda v: t.num(v, 0),
            "kWh",
            week=lambda label: label.replace("-W", f"-{t('week_letter')}"),
        ),
        pue=charts.monthly_pue(r.monthly_pue, t("chart_pue"), lambda v: t.num(v, 2)),
        progress=charts.progress(
            r, t("chart_progress"), lambda v: t.pct(v, 0), (t("path_value"), t("actual"))
        ),
        nights=charts.nights(
            [c for c in r.compliance if c.scope == "night"],
            t("chart_nights"),
            lambda v: t.pct(v, 0),
            t.day_short,
            (t("status_compliant"), t("status_violated"), t("status_unknown")),
        ),
    )
    return (
        _env()
        .get_template("report.html.j2")
        .render(r=r, t=t, title=title, charts=c, carbon_sides=carbon_sides)
    )


def write_report(
    r: PeriodReport, out: Path, formats: Sequence[str], langs: Sequence[Lang]
) -> list[Path]:
    """Write the formats asked for; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    stem = r.label + ("_public" if r.public else "")
    files: list[Path] = []
    if "csv" in formats:
        files += write_csv(r, out, stem)
    if "json" in formats:
        path = out / f"{stem}.json"
        path.write_bytes(to_json(r))
        files.append(path)
    if "html" in formats:
        for lang in langs:
            path = out / f"{stem}_{lang}.html"
            path.write_text(render_html(r, lang), encoding="utf-8")
            files.append(path)
    return files
