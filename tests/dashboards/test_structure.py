"""The dashboards' structure, checked without a Grafana server (none can run here).

Each committed dashboard is what ``python -m collector.dashboards`` builds; panel ids are
unique; grid positions do not overlap and fit the 24 columns; every datasource reference is
the provisioned uid; every ``$variable`` a query uses is defined (or one of Grafana's own);
the schema version is one Grafana 9 to 11 read; the provisioning files name the same uid.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.dashboards.build import OUTPUT, render
from collector.dashboards.catalog import DASHBOARDS
from collector.dashboards.spec import DATASOURCE_UID, Panel, layout

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "dashboards" / "provisioning"
# Grafana 9.0 reads schemaVersion 36; 11.x migrates anything from 27 up on load.
SUPPORTED_SCHEMA = range(36, 40)
CORE_PANELS = {"timeseries", "stat", "bargauge", "table", "state-timeline"}
BUILTIN = {"__rate_interval", "__interval", "__range", "__interval_ms", "__range_s"}
FILES = sorted(OUTPUT.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _refs(node: object) -> list[dict[str, Any]]:
    """Every ``datasource`` object anywhere in the JSON."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                found.append(value)
            found += _refs(value)
    elif isinstance(node, list):
        for item in node:
            found += _refs(item)
    return found


def test_at_least_five_dashboards_each_committed_as_built() -> None:
    assert len(DASHBOARDS) >= 5
    assert {p.name for p in FILES} == {f"{d.uid}.json" for d in DASHBOARDS}
    for d in DASHBOARDS:
        committed = (OUTPUT / f"{d.uid}.json").read_text(encoding="utf-8")
        assert committed == render(d), f"{d.uid}.json is stale: run python -m collector.dashboards"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_dashboard_structure(path: Path) -> None:
    board = _load(path)
    assert board["schemaVersion"] in SUPPORTED_SCHEMA
    assert board["uid"] == path.stem and board["title"].startswith("veille — ")
    panels = board["panels"]
    assert panels
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), ids
    cells: dict[tuple[int, int], int] = {}
    for p in panels:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, (p["title"], g)
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']!r} overlaps panel {cells[(x, y)]}"
                cells[(x, y)] = p["id"]
        assert p["type"] in CORE_PANELS, p["type"]  # core plugins: nothing to install
        assert p["targets"], p["title"]
        assert len({t["refId"] for t in p["targets"]}) == len(p["targets"])
    refs = _refs(board)
    assert refs
    assert all(r == {"type": "prometheus", "uid": DATASOURCE_UID} for r in refs), refs


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_template_variables_resolve(path: Path) -> None:
    board = _load(path)
    defined = {v["name"] for v in board.get("templating", {}).get("list", [])}
    for v in board.get("templating", {}).get("list", []):
        assert re.fullmatch(r"label_values\(\w+, \w+\)", v["query"]), v["query"]
    for p in board["panels"]:
        for t in p["targets"]:
            used = set(re.findall(r"\$\{?(\w+)", t["expr"]))
            assert used <= defined | BUILTIN, (p["title"], used - defined - BUILTIN)


def test_layout_never_overlaps_and_refuses_a_panel_wider_than_the_grid() -> None:
    widths = (6, 12, 24, 18, 7, 7, 7, 3)
    placed = layout(tuple(Panel(f"p{n}", "stat", (), width=w) for n, w in enumerate(widths)))
    assert [(p.x, p.y) for p in placed] == [
        (0, 0),
        (6, 0),
        (0, 8),
        (0, 16),
        (0, 24),
        (7, 24),
        (14, 24),
        (21, 24),
    ]
    with pytest.raises(ValueError, match=r"width must be 1\.\.24"):
        layout((Panel("too wide", "stat", (), width=25),))


def test_provisioning_names_the_same_datasource_and_folder() -> None:
    ds = yaml.safe_load((PROVISIONING / "datasources" / "veille.yml").read_text())
    (source,) = ds["datasources"]
    assert source["uid"] == DATASOURCE_UID and source["type"] == "prometheus"
    prov = yaml.safe_load((PROVISIONING / "dashboards" / "veille.yml").read_text())
    (provider,) = prov["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
    scrape = yaml.safe_load((ROOT / "deploy" / "victoriametrics" / "scrape.yml").read_text())
    (job,) = scrape["scrape_configs"]
    assert job["job_name"] == "veille-collector"
    # the datasource's interval is the scrape interval, so $__rate_interval covers 4 scrapes
    assert source["jsonData"]["timeInterval"] == scrape["global"]["scrape_interval"]
