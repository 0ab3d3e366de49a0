"""``veille-collector report``: the period (``--quarter``, ``--year``, ``--from/--to``) and its
files, with one progress line per step on stderr; also what the scheduler runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from collector.analysis.periods import Period
from collector.config import CollectorConfig, load_config
from collector.inventory import Inventory, load_inventory
from collector.ledger import Ledger, daily
from collector.report.build import build_report
from collector.report.i18n import LANGS, Lang
from collector.report.outputs import write_report
from collector.report.period_args import day_range, parse_quarter, parse_year
from collector.report_settings import FORMATS
from contract.settings import ConfigError


def parse_formats(text: str) -> list[str]:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ConfigError("--format", [f"{', '.join(bad) or text!r}: formats are csv, json, html"])
    return formats


def resolve_period(
    tz: str,
    *,
    quarter: str | None = None,
    year: str | None = None,
    first: str | None = None,
    last: str | None = None,
) -> tuple[Period, str]:
    """The period asked for and its kind ("quarter", "year" or "range")."""
    try:
        if quarter:
            return parse_quarter(quarter, tz), "quarter"
        if year:
            return parse_year(year, tz), "year"
        if first and last:
            return day_range(date.fromisoformat(first), date.fromisoformat(last), tz), "range"
    except ValueError as exc:
        raise ConfigError("report", [str(exc)]) from None
    raise ConfigError("report", ["give --quarter, --year, --from and --to, or --days"])


def ensure_daily(ledger: Ledger, tz: str, progress: bool = True) -> None:
    """Back-fill the daily roll-up of a ledger from before revision 0008, device by device."""
    if not daily.is_empty(ledger.engine) or ledger.count("hourly_energy") == 0:
        return
    from sqlalchemy import select

    from collector.analysis.periods import local_midnight
    from collector.ledger import tables as t

    with ledger.engine.connect() as conn:
        ids = list(conn.execute(select(t.hourly_energy.c.device_id).distinct()).scalars())
    if progress:
        print(f"daily roll-up: back-filling {len(ids)} devices", file=sys.stderr)
    lo, hi = local_midnight(date(1970, 1, 2), tz), local_midnight(date(2200, 1, 1), tz)
    for dev in ids:
        rows = ledger.hourly_for([dev], lo, hi)
        daily.refresh_days(ledger.engine, ledger.hourly_for, dev, [r.hour for r in rows], tz)


def run_report(
    ledger: Ledger,
    inventory: Inventory,
    cfg: CollectorConfig,
    period: Period,
    kind: str,
    *,
    out: Path,
    formats: Sequence[str],
    langs: Sequence[Lang],
    public: bool = False,
    quiet: bool = False,
) -> list[Path]:
    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr, flush=True)

    ensure_daily(ledger, cfg.policy.timezone, not quiet)
    r = build_report(ledger, inventory, cfg, period, kind, public=public, progress=progress)
    files = write_report(r, out, formats, langs)
    progress(f"report {period.label}: {len(files)} files written to {out}")
    return files


def report_command(
    config: Path | None,
    *,
    out: Path,
    formats: str,
    lang: str | None,
    public: bool,
    quarter: str | None = None,
    year: str | None = None,
    first: str | None = None,
    last: str | None = None,
) -> int:
    cfg = load_config(config)
    inv = load_inventory(cfg.inventory)
    chosen = lang or cfg.reports.lang
    if chosen not in LANGS:
        raise ConfigError("--lang", [f"{chosen!r}: fr or en"])
    langs: list[Lang] = ["fr"] if chosen == "fr" else ["en"]
    period, kind = resolve_period(
        cfg.policy.timezone, quarter=quarter, year=year, first=first, last=last
    )
    if public and kind != "year":
        print("note: --public is meant for a yearly page (--year)", file=sys.stderr)
    ledger = Ledger(cfg.ledger.url)
    ledger.migrate()
    try:
        files = run_report(
            ledger,
            inv,
            cfg,
            period,
            kind,
            out=out,
            formats=parse_formats(formats),
            langs=langs,
            public=public,
        )
    finally:
        ledger.close()
    for f in files:
        print(f"wrote {f}")
    return 0
