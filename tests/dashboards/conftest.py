"""VictoriaMetrics holding the demo's data: the readings written by the collector's sink and
the collector's /metrics scraped with deploy/victoriametrics/scrape.yml (target and interval
substituted, nothing else). The demo is the suite's one run (tests/demo_run.py)."""

from __future__ import annotations

import time

import pytest

from loopback import servers
from tests.demo_run import SCRAPE_SECONDS, DemoRun
from tests.sinks.promql import query

STEP_SECONDS = 15  # range queries' step; 7 days of it need more points than VM's default


def _wait_for(url: str, expr: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(url, expr, time.time()):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{expr} has no series after {timeout}s")


@pytest.fixture(scope="session")
def demo_vm(demo_run: DemoRun) -> servers._VictoriaMetrics:
    """The demo (the default week replayed, a short live phase, then kept running) writing to
    and scraped by a real VictoriaMetrics on loopback; stopped at the session's end."""
    # The figures, scraped from /metrics for two steps, so a range query has points.
    scrapes = 2 * STEP_SECONDS // SCRAPE_SECONDS
    _wait_for(demo_run.vm.url, f"count_over_time(veille_pue_limit[5m]) >= {scrapes}", 90)
    demo_run.vm.flush()
    return demo_run.vm
