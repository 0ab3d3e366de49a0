"""The test servers themselves start and answer (a broken install fails here first)."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from loopback import servers

pytestmark = pytest.mark.integration


def test_victoria_metrics_answers_queries(victoria_metrics: servers._VictoriaMetrics) -> None:
    with urllib.request.urlopen(f"{victoria_metrics.url}/api/v1/query?query=1") as resp:
        body = json.load(resp)
    assert body["status"] == "success"


def test_snmpd_answers_sysuptime(snmpd: servers.Server) -> None:
    out = subprocess.run(
        ["snmpget", "-v2c", "-c", "public", "-On", f"127.0.0.1:{snmpd.port}", "1.3.6.1.2.1.1.3.0"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    assert ".1.3.6.1.2.1.1.3.0 = Timeticks" in out
