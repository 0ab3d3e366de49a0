"""The PostgreSQL side of ``report_scale.py``: copy a generated SQLite ledger into a
PostgreSQL database, compare two reports' CSV files, and the CPU time of the server."""

from __future__ import annotations

import csv
import itertools
import math
import sqlite3
import time
from pathlib import Path


def tree_cpu(pid: int | None) -> float:
    """User + sys CPU seconds of a process and its children, living (user + sys) and exited
    (the reaped backends, in their parent's ``children_*`` times)."""
    if pid is None:
        return 0.0
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            continue
    return total


def same_figures(a: Path, b: Path, quarter: str) -> list[str]:
    """Differences between two reports' CSV files (numbers within 1e-9 relative)."""
    diffs = []
    for path in sorted(a.glob(f"{quarter}_*.csv")):
        with path.open(encoding="utf-8") as fa, (b / path.name).open(encoding="utf-8") as fb:
            for i, (ra, rb) in enumerate(itertools.zip_longest(csv.reader(fa), csv.reader(fb))):
                if ra is None or rb is None or len(ra) != len(rb):
                    diffs.append(f"{path.name}:{i + 1}: {ra} vs {rb}")
                    continue
                for x, y in zip(ra, rb, strict=True):
                    if x != y and not _close(x, y):
                        diffs.append(f"{path.name}:{i + 1}: {x} vs {y}")
    return diffs


def _close(x: str, y: str) -> bool:
    try:
        return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9)
    except ValueError:
        return False


def to_postgres(db: Path, url: str) -> float:
    """Copy the SQLite ledger's tables into the migrated PostgreSQL database at ``url``
    (``COPY``), then ``ANALYZE``; returns the seconds it took."""
    import psycopg

    from collector.ledger import Ledger

    t0 = time.perf_counter()
    led = Ledger(url)
    led.migrate()
    led.close()
    src = sqlite3.connect(db)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as pg:
        pg.execute("SET TIME ZONE 'UTC'")
        for table in ("hourly_energy", "daily_energy", "policy_windows"):
            cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
            names = ", ".join(cols)
            with pg.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in src.execute(f"SELECT {names} FROM {table}"):
                    copy.write_row(row)
        pg.commit()
        pg.execute("ANALYZE")
    src.close()
    return time.perf_counter() - t0
