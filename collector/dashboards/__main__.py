"""``python -m collector.dashboards``: write dashboards/json/<uid>.json from the catalog."""

from __future__ import annotations

from collector.dashboards.build import write_all
from collector.dashboards.catalog import DASHBOARDS

if __name__ == "__main__":
    for path in write_all(DASHBOARDS):
        print(f"wrote {path}")
