"""The suite's one run of `veille-collector demo`, shared by every test about it.

``tests/test_demo.py`` (its figures, reports and alerts) and ``tests/dashboards/`` (every panel
query, and the shipped alert rules, on its live data) read the same run: the demo replays the
default week, runs live for ``LIVE_SECONDS``, writes every reading to a real VictoriaMetrics
that also scrapes its /metrics (deploy/victoriametrics/scrape.yml), and keeps serving until
the last of those tests is torn down (then SIGINT: a clean stop exits 130, anything else is
that test's teardown error).

Once per suite: the ``demo_run`` session fixture (tests/conftest.py) runs it once per process,
and under pytest-xdist the modules of ``CONSUMERS`` go to one worker: :func:`demo_scheduler`
(hooked in tests/conftest.py) makes them one work unit of ``--dist loadfile`` (or
``loadscope``), the other modules being spread as usual. A module requesting the fixture must
be listed there: collection refuses it otherwise.

While it serves, the demo keeps recomputing and alerting; what the tests read is a copy of its
output as it was when it reported (``DemoRun.out``): the alerts directory when the last step
starts (the analysis and its deliveries are done by then), the rest on "serving:".
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from xdist.scheduler import LoadFileScheduling, LoadScopeScheduling

from loopback import servers

CONSUMERS = frozenset(
    {
        "tests/test_demo.py",
        "tests/dashboards/test_queries.py",
        "tests/dashboards/test_demo_alert_rules.py",
    }
)
SCOPE = "veille-demo"  # the xdist work unit of CONSUMERS
LIVE_SECONDS = 8
SCRAPE_SECONDS = 1
START_SECONDS = 420  # the week replayed and reported, on a loaded machine
STOP_SECONDS = 30
LAST_STEP = "[7/7 "  # Progress.step: "[7/7 123.4s] writing the reports…"
SERVING = "\nserving:"
# `python -m collector.cli`, with Python's own SIGINT handler (KeyboardInterrupt) even when
# the tests run where SIGINT is ignored (a background job of a script): stop() sends SIGINT.
CLI = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from collector.cli import main; sys.exit(main())"
)
SCRAPE = Path(__file__).resolve().parents[1] / "deploy" / "victoriametrics" / "scrape.yml"


def scrape_config(target: str, interval_seconds: int) -> dict[str, object]:
    """The shipped scrape config with only the target and the intervals replaced."""
    conf = yaml.safe_load(SCRAPE.read_text())
    conf["global"]["scrape_interval"] = f"{interval_seconds}s"
    conf["global"]["scrape_timeout"] = f"{interval_seconds}s"
    (job,) = conf["scrape_configs"]
    job["static_configs"] = [{"targets": [target]}]
    return dict(conf)


@dataclass(frozen=True)
class DemoRun:
    """The serving demo: its output as reported, its stdout up to "serving:", the store."""

    out: Path  # a copy of --output as it was when the demo reported
    text: str  # standard output, up to and including the "serving:" line
    vm: servers._VictoriaMetrics  # written to by the demo, scraping its /metrics


class DemoFailed(AssertionError):
    """The demo did not reach "serving:", or did not stop cleanly; with its output."""


class Demo:
    """The demo and its VictoriaMetrics, started in ``workdir``; :meth:`stop` ends both."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.output = workdir / "demo-output"
        self.stdout = workdir / "demo.stdout"
        self.stderr = workdir / "demo.stderr"
        self.vm: servers._VictoriaMetrics | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.serving = False  # reached "serving:": from then on, it must stop cleanly

    def start(self) -> DemoRun:
        """Start both, wait for "serving:" and copy the output aside; :class:`DemoFailed`
        with the demo's output if it exits first or takes longer than ``START_SECONDS``."""
        port = servers.free_port()
        conf = self.workdir / "scrape.yml"
        conf.write_text(yaml.safe_dump(scrape_config(f"127.0.0.1:{port}", SCRAPE_SECONDS)))
        self.vm = servers.victoria_metrics(
            self.workdir / "vm",
            (f"-promscrape.config={conf}", "-search.maxPointsPerTimeseries=100000"),
        )
        argv = [
            *(sys.executable, "-c", CLI, "demo"),
            *("--live-seconds", str(LIVE_SECONDS), "--output", str(self.output)),
            *("--timeseries-url", self.vm.url, "--metrics-port", str(port), "--keep-running"),
        ]
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.workdir,
                stdout=out,
                stderr=err,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        text = self._wait_serving()
        self.serving = True
        return DemoRun(self._copy(), text, self.vm)

    def _wait_serving(self) -> str:
        assert self.proc is not None
        snapshot = self.workdir / "reported"
        deadline = time.monotonic() + START_SECONDS
        while True:
            text = self.stdout.read_text(errors="replace")
            if LAST_STEP in text and not (snapshot / "alerts").exists():
                shutil.copytree(self.output / "alerts", snapshot / "alerts")
            if SERVING in text and text.endswith("\n"):
                return text
            if self.proc.poll() is not None:
                raise DemoFailed(self._failure(f"exited with {self.proc.returncode}"))
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait(10)
                raise DemoFailed(self._failure(f"not serving after {START_SECONDS} s"))
            time.sleep(0.2)

    def _copy(self) -> Path:
        """The output as reported: the alerts copied at the last step, the rest now (the
        ledger and the spools left out: the demo is still writing them)."""
        snapshot = self.workdir / "reported"
        shutil.copytree(
            self.output,
            snapshot,
            ignore=shutil.ignore_patterns("alerts", "spool", "*.sqlite*"),
            dirs_exist_ok=True,
        )
        return snapshot

    def _failure(self, what: str) -> str:
        out = self.stdout.read_text(errors="replace") if self.stdout.exists() else ""
        err = self.stderr.read_text(errors="replace") if self.stderr.exists() else ""
        return (
            f"veille-collector demo {what} (in {self.workdir})\n"
            f"--- stdout (end) ---\n{out[-3000:]}\n--- stderr (end) ---\n{err[-3000:]}"
        )

    def stop(self) -> None:
        """SIGINT to the demo (its Ctrl-C), then stop VictoriaMetrics; :class:`DemoFailed`
        if the demo, serving until now, does not exit 130 within ``STOP_SECONDS`` or had
        exited already. Once: later calls do nothing."""
        proc, self.proc = self.proc, None
        failure = None
        try:
            if proc is not None and proc.poll() is not None:
                if self.serving:
                    failure = self._failure(f"exited with {proc.returncode} while serving")
            elif proc is not None:
                proc.send_signal(signal.SIGINT)
                try:
                    code = proc.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
                    failure = self._failure(f"still running {STOP_SECONDS} s after SIGINT")
                else:
                    if code != 130:  # what `veille-collector demo` returns on Ctrl-C
                        failure = self._failure(f"exited with {code} on SIGINT, not 130")
        finally:
            if self.vm is not None:
                self.vm.stop()
        if failure is not None and self.serving:
            raise DemoFailed(failure)


class _DemoTogether(LoadFileScheduling):  # type: ignore[misc]  # xdist has no type hints
    """``--dist loadfile``, the modules of ``CONSUMERS`` making one work unit (one worker)."""

    def _split_scope(self, nodeid: str) -> str:
        scope: str = super()._split_scope(nodeid)
        return SCOPE if scope in CONSUMERS else scope


class _DemoTogetherByScope(LoadScopeScheduling):  # type: ignore[misc]
    """``--dist loadscope``, the same way."""

    def _split_scope(self, nodeid: str) -> str:
        scope: str = super()._split_scope(nodeid)
        return SCOPE if scope.split("::", 1)[0] in CONSUMERS else scope


def demo_scheduler(config: pytest.Config, log: object) -> object | None:
    """The xdist scheduler for ``--dist loadfile`` or ``loadscope`` (None for the others:
    xdist's own, under which each worker running a consumer runs a demo of its own)."""
    dist = config.getvalue("dist")
    if dist == "loadfile":
        return _DemoTogether(config, log)
    if dist == "loadscope":
        return _DemoTogetherByScope(config, log)
    return None
