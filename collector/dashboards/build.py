"""Dashboards as Grafana JSON, built with grafana-foundation-sdk (reads specs, writes JSON).

``python -m collector.dashboards`` writes ``dashboards/json/<uid>.json``; the files are
committed, and ``tests/dashboards/test_structure.py`` checks they are what this module builds.
Every panel and target names the provisioned datasource by its fixed uid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import bargauge, stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    StackingConfig,
    VizLegendOptions,
)
from grafana_foundation_sdk.builders.dashboard import Dashboard as DashboardBuilder
from grafana_foundation_sdk.builders.dashboard import QueryVariable, ThresholdsConfig
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    GraphTresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    StackingMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DataTransformerConfig,
    GridPos,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from collector.dashboards.spec import DATASOURCE_TYPE, DATASOURCE_UID, Dashboard, Panel, layout

OUTPUT = Path(__file__).resolve().parents[2] / "dashboards" / "json"
DATASOURCE = DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)

HIDDEN_COLUMNS = {"Time": True, "job": True, "instance": True, "__name__": True}


def _table_transforms(p: Panel) -> list[DataTransformerConfig]:
    """The instant queries' frames merged into one, without the scrape's own labels, value
    columns named by their plain legends (``Value #A`` → ``remontent``)."""
    several = len(p.queries) > 1
    names = {
        (f"Value #{chr(ord('A') + n)}" if several else "Value"): q.legend
        for n, q in enumerate(p.queries)
        if q.legend and "{{" not in q.legend
    }
    organize = {"excludeByName": HIDDEN_COLUMNS, "renameByName": names}
    return [
        DataTransformerConfig(id_val="merge", options={}),
        DataTransformerConfig(id_val="organize", options=organize),
    ]


AnyPanel = timeseries.Panel | stat.Panel | bargauge.Panel | table.Panel | statetimeline.Panel


def _thresholds(limit: float | None) -> ThresholdsConfig:
    steps = [Threshold(color="green", value=None)]
    if limit is not None:
        steps.append(Threshold(color="red", value=limit))
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps)


def _panel(p: Panel) -> AnyPanel:
    builder: AnyPanel
    last = ReduceDataOptions().calcs(["lastNotNull"]).values(False)
    legend = (
        VizLegendOptions()
        .display_mode(LegendDisplayMode.LIST)
        .placement(LegendPlacement.BOTTOM)
        .show_legend(True)
    )
    if p.kind == "timeseries":
        ts = timeseries.Panel().legend(legend)
        if p.limit is not None:
            line = GraphThresholdsStyleConfig().mode(GraphTresholdsStyleMode.LINE)
            ts = ts.thresholds_style(line)
        if p.stack:
            ts = ts.stacking(StackingConfig().mode(StackingMode.NORMAL))
        builder = ts
    elif p.kind == "stat":
        builder = stat.Panel().reduce_options(last)
    elif p.kind == "bargauge":
        builder = bargauge.Panel().reduce_options(last).min(0)
    elif p.kind == "table":
        tab = table.Panel().show_header(True)
        for transform in _table_transforms(p):
            tab = tab.with_transformation(transform)
        builder = tab
    else:
        builder = statetimeline.Panel().legend(legend)
    builder = builder.title(p.title).datasource(DATASOURCE).unit(p.unit)
    builder = builder.thresholds(_thresholds(p.limit))
    if p.description:
        builder = builder.description(p.description)
    if p.decimals is not None:
        builder = builder.decimals(p.decimals)
    for n, q in enumerate(p.queries):
        target = Dataquery().expr(q.expr).ref_id(chr(ord("A") + n)).datasource(DATASOURCE)
        if q.legend:
            target = target.legend_format(q.legend)
        target = target.instant() if q.instant else target.range()
        if p.kind == "table":
            target = target.format(PromQueryFormat.TABLE)
        builder = builder.with_target(target)
    return builder


def build(d: Dashboard) -> dict[str, Any]:
    """The dashboard's JSON model (schemaVersion of the SDK), as a dict."""
    board = (
        DashboardBuilder(d.title)
        .uid(d.uid)
        .description(d.description)
        .tags(["veille"])
        .time(d.time_from, "now")
        .refresh(d.refresh)
        .timezone("browser")
    )
    for v in d.variables:
        board = board.with_variable(
            QueryVariable(v.name)
            .label(v.title)
            .datasource(DATASOURCE)
            .query(v.query)
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(VariableSort.ALPHABETICAL_ASC)
        )
    for placed in layout(d.panels):
        p = placed.panel
        grid = GridPos(h=p.height, w=p.width, x=placed.x, y=placed.y)
        board = board.with_panel(_panel(p).id(placed.id).grid_pos(grid))
    encoded = JSONEncoder(sort_keys=True, indent=2).encode(board.build())
    result: dict[str, Any] = json.loads(encoded)
    return result


def render(d: Dashboard) -> str:
    """The file's text: stable key order, two-space indent, a final newline."""
    return json.dumps(build(d), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(dashboards: tuple[Dashboard, ...], output: Path = OUTPUT) -> list[Path]:
    """Write every dashboard as ``<uid>.json`` under ``output``; returns the paths."""
    output.mkdir(parents=True, exist_ok=True)
    paths = []
    for d in dashboards:
        path = output / f"{d.uid}.json"
        path.write_text(render(d), encoding="utf-8")
        paths.append(path)
    return paths
