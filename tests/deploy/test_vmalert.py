"""The shipped alert rules, loaded into the real vmalert, reach the real Alertmanager.

VictoriaMetrics (loopback) holds a sleep-violation gauge for one violating and one complying
device; vmalert (from Debian's victoria-metrics package) evaluates every deploy/alerts/*.yml
against it every second and notifies Alertmanager (Debian's prometheus-alertmanager, loopback),
whose API v2 must then show the violator's alert, with its annotations, and only that one.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loopback import servers

pytestmark = pytest.mark.integration

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "alerts"


@pytest.fixture()
def vmalert(
    tmp_path: Path,
    victoria_metrics: servers._VictoriaMetrics,
    alertmanager: servers._Alertmanager,
) -> Iterator[servers._Vmalert]:
    server = servers.vmalert(tmp_path, f"{ALERTS}/*.yml", victoria_metrics.url, alertmanager.url)
    yield server
    server.stop()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


def import_series(vm: servers._VictoriaMetrics, lines: list[str]) -> None:
    body = "\n".join(lines).encode() + b"\n"
    req = urllib.request.Request(f"{vm.url}/api/v1/import/prometheus", data=body, method="POST")
    urllib.request.urlopen(req, timeout=5).close()
    vm.flush()


def alerts_for(am: servers._Alertmanager, alertname: str, site: str) -> list[Any]:
    """The alerts named ``alertname`` for ``site``, waiting up to 30 s for the first."""
    query = urllib.parse.urlencode(
        {"filter": [f'alertname="{alertname}"', f'site="{site}"']}, doseq=True
    )
    found: list[Any] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not found:
        found = get_json(f"{am.url}/api/v2/alerts?{query}")
        time.sleep(0.5)
    return found


def test_a_silent_server_and_a_dropping_agent_reach_alertmanager(
    victoria_metrics: servers._VictoriaMetrics,
    alertmanager: servers._Alertmanager,
    vmalert: servers._Vmalert,
) -> None:
    # MetricsQL is not PromQL (increase() does not extrapolate, present_over_time, unless):
    # the rules promtool tested must also fire in VictoriaMetrics
    site = f"site-{uuid.uuid4().hex[:8]}"
    now_ms = int(time.time() * 1000)
    minute = 60_000
    srv = f'device_id="srv-x",site="{site}",domain="Environnement serveur",kind="server"'
    web = f'device_id="srv-y",site="{site}",domain="Environnement serveur",kind="server"'
    pc = f'device_id="pc-x",site="{site}",component="overflow",source="self"'
    lines = []
    for m in range(180, -1, -1):
        t = now_ms - m * minute
        if m >= 40:  # srv-x stopped 40 minutes ago; srv-y goes on
            lines.append(f"veille_uptime_seconds{{{srv}}} {10_000 + (180 - m) * 60} {t}")
        lines.append(f"veille_uptime_seconds{{{web}}} {20_000 + (180 - m) * 60} {t}")
        if m <= 50:  # pc-x's spool dropped 12 messages 20 minutes ago
            lines.append(f"veille_agent_spool_dropped_total{{{pc}}} {12 if m <= 20 else 0} {t}")
    import_series(victoria_metrics, lines)

    silent = alerts_for(alertmanager, "VeilleServerStoppedReporting", site)
    assert [a["labels"]["device_id"] for a in silent] == ["srv-x"], vmalert.log()[-2000:]
    dropping = alerts_for(alertmanager, "VeilleAgentDroppingReadings", site)
    assert [a["labels"]["device_id"] for a in dropping] == ["pc-x"], vmalert.log()[-2000:]
    assert dropping[0]["labels"]["component"] == "overflow"
    assert "dropped 12 messages" in dropping[0]["annotations"]["description"]


def test_the_violator_reaches_alertmanager(
    victoria_metrics: servers._VictoriaMetrics,
    alertmanager: servers._Alertmanager,
    vmalert: servers._Vmalert,
) -> None:
    site = f"site-{uuid.uuid4().hex[:8]}"  # the VictoriaMetrics and Alertmanager are shared
    now_ms = int(time.time() * 1000)
    labels = 'domain="Environnement utilisateur",group="bureaux",site="{}",device_id="{}"'
    lines = []
    for back in range(0, 120_000, 15_000):  # two minutes of samples, one every 15 s
        t = now_ms - back
        lines.append(f"veille_sleep_violation_open{{{labels.format(site, 'pc-0042')}}} 1 {t}")
        lines.append(f"veille_sleep_violation_open{{{labels.format(site, 'pc-0007')}}} 0 {t}")
    import_series(victoria_metrics, lines)

    rules = get_json(f"{vmalert.url}/api/v1/rules")["data"]["groups"]
    loaded = sorted(r["name"] for g in rules for r in g["rules"])
    assert len(loaded) == 10 and "VeilleSleepViolationOpen" in loaded

    query = urllib.parse.urlencode(
        {"filter": ['alertname="VeilleSleepViolationOpen"', f'site="{site}"']}, doseq=True
    )
    alerts: list[Any] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not alerts:
        alerts = get_json(f"{alertmanager.url}/api/v2/alerts?{query}")
        time.sleep(0.5)
    assert alerts, f"no alert in Alertmanager; vmalert log:\n{vmalert.log()[-2000:]}"
    time.sleep(2)  # two more evaluations: the complying device must still not be there
    alerts = get_json(f"{alertmanager.url}/api/v2/alerts?{query}")
    assert [a["labels"]["device_id"] for a in alerts] == ["pc-0042"]
    alert = alerts[0]
    assert alert["status"]["state"] == "active"
    assert alert["labels"]["severity"] == "warning"
    assert alert["labels"]["domain"] == "Environnement utilisateur"
    assert alert["annotations"]["summary"] == "pc-0042 stayed awake during its sleep window"
    assert "exemption" in alert["annotations"]["runbook"]
    assert f"site {site}" in alert["annotations"]["description"]
