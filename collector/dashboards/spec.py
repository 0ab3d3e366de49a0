"""What a dashboard holds, as plain data: panels, their PromQL queries, template variables.

:mod:`collector.dashboards.catalog` lists veille's dashboards in these terms and
:mod:`collector.dashboards.build` turns them into Grafana JSON with grafana-foundation-sdk.
Panels are placed by :func:`layout` left to right on Grafana's 24-column grid, so positions
never overlap. ``WAITING`` names the series other work has not built yet, with the reason: a
panel reading one is in a dashboard already and shows "No data" until it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DATASOURCE_UID = "veille-victoriametrics"
DATASOURCE_TYPE = "prometheus"
GRID_COLUMNS = 24

PanelKind = Literal["timeseries", "stat", "bargauge", "table", "state-timeline"]

# Series a panel reads that nothing exports yet, with the reason (none today: compliance and
# alert deliveries have landed). Their queries are strict xfails in tests/dashboards.
WAITING: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL target; ``instant`` for a value now (stat, bar gauge, table)."""

    expr: str
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel. ``limit``: a threshold drawn as a red line (timeseries) or turning the value
    red (stat); ``width``/``height`` in grid units."""

    title: str
    kind: PanelKind
    queries: tuple[Query, ...]
    unit: str = "short"
    description: str = ""
    width: int = 12
    height: int = 8
    decimals: int | None = None
    limit: float | None = None
    stack: bool = False


@dataclass(frozen=True, slots=True)
class Variable:
    """A query variable: ``label`` of the series ``metric`` (``label_values(metric, label)``)."""

    name: str
    title: str
    metric: str
    label: str

    @property
    def query(self) -> str:
        return f"label_values({self.metric}, {self.label})"


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    variables: tuple[Variable, ...] = ()
    time_from: str = "now-7d"
    refresh: str = "1m"


@dataclass(frozen=True, slots=True)
class Placed:
    panel: Panel
    id: int
    x: int
    y: int


def layout(panels: tuple[Panel, ...]) -> list[Placed]:
    """Panel ids from 1 and grid positions, left to right, a new row when one is full."""
    out: list[Placed] = []
    x = y = row_height = 0
    for n, p in enumerate(panels, start=1):
        if not 0 < p.width <= GRID_COLUMNS:
            raise ValueError(f"panel {p.title!r}: width must be 1..{GRID_COLUMNS}")
        if x + p.width > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        out.append(Placed(p, n, x, y))
        x += p.width
        row_height = max(row_height, p.height)
    return out
