"""Every panel query of every dashboard, run against VictoriaMetrics holding the demo's data.

Template variables are substituted with the values their own query gives (a panel passes when
some value of the variable returns series: not every device sleeps); Grafana's ``$__…``
intervals as Grafana would set them for this scrape interval and step. Range panels are
queried over their dashboard's time range (``now-7d``…), instant panels now. Queries on
series that other work has not built yet are xfail with the reason (``WAITING``): strict,
so they fail loudly the day the series appear.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest

from collector.dashboards.build import OUTPUT
from collector.dashboards.spec import WAITING
from loopback import servers
from tests.dashboards.conftest import STEP_SECONDS
from tests.demo_run import SCRAPE_SECONDS

pytestmark = pytest.mark.integration

RANGES = {"now-6h": 6 * 3600, "now-2d": 2 * 86400, "now-7d": 7 * 86400}


def _intervals(range_seconds: int) -> tuple[int, dict[str, str]]:
    """The step, and Grafana's $__interval, $__range and $__rate_interval
    (= max($__interval + scrape interval, 4 x scrape interval)).

    The step is short (STEP_SECONDS) whatever the range: the scraped figures span only the
    last minute of the test, shorter than the step Grafana would take for 7 days (a range
    query has points at multiples of the step only)."""
    step = STEP_SECONDS
    rate = max(step + SCRAPE_SECONDS, 4 * SCRAPE_SECONDS)
    return step, {
        "__rate_interval": f"{rate}s",
        "__interval": f"{step}s",
        "__range": f"{range_seconds}s",
    }


def _targets() -> list[Any]:
    cases = []
    for path in sorted(OUTPUT.glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        variables = list(board.get("templating", {}).get("list", []))
        range_seconds = RANGES[board["time"]["from"]]
        for panel in board["panels"]:
            for target in panel["targets"]:
                waiting = [why for name, why in WAITING.items() if name in target["expr"]]
                marks = [pytest.mark.xfail(reason=waiting[0], strict=True)] if waiting else []
                cases.append(
                    pytest.param(
                        target,
                        variables,
                        range_seconds,
                        id=f"{path.stem}:{panel['id']}{target['refId']}:{panel['title']}",
                        marks=marks,
                    )
                )
    return cases


def _get(url: str, path: str, params: dict[str, object]) -> Any:
    query = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(f"{url}{path}?{query}", timeout=30) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return body["data"]


def _values(url: str, variable: dict[str, Any]) -> list[str]:
    m = re.fullmatch(r"label_values\((\w+), (\w+)\)", variable["query"])
    assert m, variable["query"]
    metric, label = m.groups()
    values: list[str] = _get(url, f"/api/v1/label/{label}/values", {"match[]": metric})
    return values


def _substitute(expr: str, values: dict[str, str]) -> str:
    for name, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    assert "$" not in expr, expr
    return expr


def _series(
    url: str, target: dict[str, Any], expr: str, range_seconds: int, step: int
) -> list[Any]:
    now = time.time()
    if target.get("instant"):
        result: list[Any] = _get(url, "/api/v1/query", {"query": expr, "time": now})["result"]
    else:
        params = {"query": expr, "start": now - range_seconds, "end": now, "step": step}
        result = _get(url, "/api/v1/query_range", params)["result"]
    return result


@pytest.mark.parametrize(("target", "variables", "range_seconds"), _targets())
def test_panel_query_returns_series(
    demo_vm: servers._VictoriaMetrics,
    target: dict[str, Any],
    variables: list[dict[str, Any]],
    range_seconds: int,
) -> None:
    step, intervals = _intervals(range_seconds)
    choices: list[dict[str, str]] = [intervals]
    for v in variables:
        if f"${v['name']}" in target["expr"]:
            options = _values(demo_vm.url, v)
            assert options, f"variable {v['name']}: {v['query']} gives no value"
            choices = [{**c, v["name"]: value} for c in choices for value in options]
    tried = []
    for chosen in choices:
        expr = _substitute(target["expr"], chosen)
        if _series(demo_vm.url, target, expr, range_seconds, step):
            return
        tried.append(expr)
    raise AssertionError(f"no series for {tried[:3]} (and {max(0, len(tried) - 3)} more)")


def test_the_figures_match_the_ledger(demo_vm: servers._VictoriaMetrics) -> None:
    """The scraped PUE is the demo's own figure, and the limit is the configured 1.5."""
    now = time.time()
    pue = _get(demo_vm.url, "/api/v1/query", {"query": "veille_pue", "time": now})["result"]
    by_period = {r["metric"]["period"]: float(r["value"][1]) for r in pue}
    assert set(by_period) == {"interim", "annual"}
    assert 1.3 <= by_period["interim"] <= 1.9  # the demo's datacentre (tests/test_demo.py)
    assert all(r["metric"]["category"].startswith("category ") for r in pue)
    assert all(r["metric"]["job"] == "veille-collector" for r in pue)
    limit = _get(demo_vm.url, "/api/v1/query", {"query": "veille_pue_limit", "time": now})
    assert [float(r["value"][1]) for r in limit["result"]] == [1.5]
    ref = _get(demo_vm.url, "/api/v1/query", {"query": "veille_ref", "time": now})["result"]
    assert [float(r["value"][1]) for r in ref] == [0.5]  # the demo's configured share
