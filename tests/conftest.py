"""Shared fixtures: real servers on loopback, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback import servers
from tests.demo_run import CONSUMERS, START_SECONDS, Demo, DemoRun, demo_scheduler

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """A real Mosquitto broker on 127.0.0.1 (MQTT 3.1.1 and 5)."""
    server = servers.mosquitto(tmp_path_factory.mktemp("mosquitto"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def victoria_metrics(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[servers._VictoriaMetrics]:
    """A real VictoriaMetrics on 127.0.0.1; ``.url``, ``.flush()``."""
    server = servers.victoria_metrics(tmp_path_factory.mktemp("vm"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """net-snmp snmpd on a 127.0.0.1 UDP port, community ``public``."""
    server = servers.snmpd(tmp_path_factory.mktemp("snmpd"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[servers._Postgres]:
    """A real PostgreSQL on 127.0.0.1 (``.url``, ``.create_database(name)``)."""
    server = servers.postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers._Alertmanager]:
    """Debian's prometheus-alertmanager on 127.0.0.1 (``.url``), API v2."""
    server = servers.alertmanager(tmp_path_factory.mktemp("alertmanager"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """The suite's one `veille-collector demo`, serving until the session ends
    (tests/demo_run.py). If it fails, every test requesting it fails with its output."""
    demo = Demo(tmp_path_factory.mktemp("demo"))
    try:
        yield demo.start()
    finally:
        demo.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The demo's consumers get the time to start it (whichever comes first sets it up); a
    module using it outside ``CONSUMERS`` would run a demo of its own under xdist: refused."""
    strays = set()
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        if module in CONSUMERS and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(START_SECONDS + 120))
        elif module not in CONSUMERS and "demo_run" in getattr(item, "fixturenames", ()):
            strays.add(module)
    if strays:
        raise pytest.UsageError(
            f"{', '.join(sorted(strays))}: these use the demo_run fixture; list them in "
            "tests/demo_run.py CONSUMERS, so that they share the suite's one demo run"
        )


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown under -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under pytest-xdist, the demo's consumers on one worker: the demo runs once."""
    return demo_scheduler(config, log)
