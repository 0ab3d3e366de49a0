"""``veille-collector import-meter FILE.csv``: hosted datacentres' figures into the ledger.

The file is checked whole, then written in one transaction: a bad row refuses the file (exit
1, every bad line named on stderr) and nothing of it is stored.
"""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.config import load_config
from collector.hosted.parse import ImportError_, parse_meter_csv
from collector.ledger import Ledger
from collector.ledger.imported import store_imported


def _refuse(path: Path, problems: list[str]) -> int:
    print(f"{path}: refused, nothing imported:", file=sys.stderr)
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    return 1


def import_meter(config: Path | None, path: Path) -> int:
    """Import ``path``; returns the exit code."""
    cfg = load_config(config)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return _refuse(path, [f"not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"])
    except OSError as exc:
        return _refuse(path, [f"cannot read: {exc.strerror}"])
    try:
        rows = parse_meter_csv(text, ZoneInfo(cfg.policy.timezone))
    except ImportError_ as exc:
        return _refuse(path, exc.problems)
    ledger = Ledger(cfg.ledger.url)
    try:
        ledger.migrate()
        new, replaced = store_imported(ledger.engine, rows, file=path.name)
    except ImportError_ as exc:
        return _refuse(path, exc.problems)
    finally:
        ledger.close()
    dcs = sorted({r.datacentre for r in rows})
    print(
        f"{path}: {len(rows)} period(s) imported for {', '.join(dcs)} "
        f"({new} new, {replaced} replacing earlier figures)"
    )
    return 0
