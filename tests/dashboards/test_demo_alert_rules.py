"""The shipped alert rules on the demo's own data: VictoriaMetrics scrapes the running demo's
/metrics (the ``demo_vm`` session fixture), the real vmalert evaluates deploy/alerts/*.yml
against it, and the demo's violators reach the real Alertmanager, and nobody else."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from loopback import servers
from tests.sinks.promql import query

pytestmark = pytest.mark.integration

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "alerts"


def _alerts(am: servers._Alertmanager, alertname: str) -> list[Any]:
    params = urllib.parse.urlencode({"filter": f'alertname="{alertname}"'})
    with urllib.request.urlopen(f"{am.url}/api/v2/alerts?{params}", timeout=5) as resp:
        found: list[Any] = json.loads(resp.read())
    return found


def test_the_demo_violators_fire_the_sleep_rule_in_alertmanager(
    tmp_path: Path, demo_vm: servers._VictoriaMetrics, alertmanager: servers._Alertmanager
) -> None:
    violators = {
        s["metric"]["device_id"]
        for s in query(demo_vm.url, "veille_sleep_violation_open == 1", time.time())
    }
    assert violators, "the demo has open violations on its /metrics"
    vmalert = servers.vmalert(tmp_path, f"{ALERTS}/*.yml", demo_vm.url, alertmanager.url)
    try:
        deadline = time.monotonic() + 60
        fired: set[str] = set()
        while time.monotonic() < deadline and fired != violators:
            demo = [
                a
                for a in _alerts(alertmanager, "VeilleSleepViolationOpen")
                if a["labels"].get("site") == "hotel-de-ville"
            ]
            fired = {a["labels"]["device_id"] for a in demo}
            time.sleep(1)
        assert fired == violators, vmalert.log()[-2000:]
        (one, *_) = demo
        assert one["labels"]["domain"] == "Environnement utilisateur"
        assert "stayed awake during its sleep window" in one["annotations"]["summary"]
        assert one["annotations"]["runbook"]
    finally:
        vmalert.stop()
