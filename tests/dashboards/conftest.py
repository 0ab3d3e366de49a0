"""VictoriaMetrics holding the demo's data: the readings written by the collector's sink and
the collector's /metrics scraped with deploy/victoriametrics/scrape.yml (target and interval
substituted, nothing else)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from loopback import servers
from tests.sinks.promql import query

ROOT = Path(__file__).resolve().parents[2]
SCRAPE = ROOT / "deploy" / "victoriametrics" / "scrape.yml"
SCRAPE_SECONDS = 1
STEP_SECONDS = 15  # range queries' step; 7 days of it need more points than VM's default


def scrape_config(target: str, interval_seconds: int) -> dict[str, object]:
    """The shipped scrape config with only the target and the intervals replaced."""
    conf = yaml.safe_load(SCRAPE.read_text())
    conf["global"]["scrape_interval"] = f"{interval_seconds}s"
    conf["global"]["scrape_timeout"] = f"{interval_seconds}s"
    (job,) = conf["scrape_configs"]
    job["static_configs"] = [{"targets": [target]}]
    return dict(conf)


def _wait_for(url: str, expr: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(url, expr, time.time()):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{expr} has no series after {timeout}s")


@pytest.fixture(scope="session")
def demo_vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers._VictoriaMetrics]:
    """The demo (two days replayed, a short live phase, then kept running) writing to and
    scraped by a real VictoriaMetrics on loopback; stopped with SIGINT at the session's end."""
    work = tmp_path_factory.mktemp("dashboards")
    port = servers.free_port()
    conf = work / "scrape.yml"
    conf.write_text(yaml.safe_dump(scrape_config(f"127.0.0.1:{port}", SCRAPE_SECONDS)))
    vm = servers.victoria_metrics(
        work / "vm", (f"-promscrape.config={conf}", "-search.maxPointsPerTimeseries=100000")
    )
    log = (work / "demo.log").open("w")
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "collector.cli",
            "demo",
            "--live-seconds",
            "5",
            "--history-days",
            "2",  # two nights: sleep windows judged, violations, slept intervals
            "--output",
            str(work / "demo-output"),
            "--timeseries-url",
            vm.url,
            "--metrics-port",
            str(port),
            "--keep-running",
        ],
        cwd=work,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 420
        while "serving:" not in (work / "demo.log").read_text():
            if demo.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "demo did not start:\n" + (work / "demo.log").read_text()[-3000:]
                )
            time.sleep(1)
        # The figures, scraped from /metrics for two steps, so a range query has points.
        scrapes = 2 * STEP_SECONDS // SCRAPE_SECONDS
        _wait_for(vm.url, f"count_over_time(veille_pue_limit[5m]) >= {scrapes}", 90)
        vm.flush()
        yield vm
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait(10)
        log.close()
        vm.stop()
