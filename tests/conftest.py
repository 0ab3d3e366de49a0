"""Shared fixtures: real servers on loopback, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.ledger import Ledger
from loopback import servers
from tests.demo_run import CONSUMERS, START_SECONDS, Demo, DemoRun, demo_scheduler

FIXTURES = Path(__file__).parent / "fixtures"
_DEMO = pytest.StashKey[Demo]()
_CONSUMERS_LEFT = pytest.StashKey[int]()  # consumer tests of this process not torn down yet


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
def demo_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoRun]:
    """The suite's one `veille-collector demo`, serving until its last consumer is done
    (tests/demo_run.py). If it fails, every test requesting it fails with its output."""
    demo = Demo(tmp_path_factory.mktemp("demo"))
    request.session.stash[_DEMO] = demo
    try:
        yield demo.start()
    finally:
        demo.stop()


@pytest.hookimpl(trylast=True)  # after the test's own fixtures are torn down
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Stop the demo once the last of its consumers here is done (not at the session's end:
    the worker goes on with other modules); a failed stop is this test's teardown error."""
    if item.nodeid.split("::", 1)[0] not in CONSUMERS:
        return
    left = item.session.stash[_CONSUMERS_LEFT] = item.session.stash[_CONSUMERS_LEFT] - 1
    demo = item.session.stash.get(_DEMO, None)
    if left == 0 and demo is not None:
        demo.stop()


def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    """The demo's consumers get the time to start it (whichever comes first sets it up); a
    module using it outside ``CONSUMERS`` would run a demo of its own under xdist: refused."""
    strays = set()
    session.stash[_CONSUMERS_LEFT] = 0
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        if module in CONSUMERS:
            session.stash[_CONSUMERS_LEFT] += 1
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(START_SECONDS + 120))
        elif module not in CONSUMERS and "demo_run" in getattr(item, "fixturenames", ()):
            strays.add(module)
    if strays:
        raise pytest.UsageError(
            f"{', '.join(sorted(strays))}: these use the demo_run fixture; list them in "
            "tests/demo_run.py CONSUMERS, so that they share the suite's one demo run"
        )


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A migrated SQLite ledger, ``tmp_path / "ledger.sqlite"``. Modules that test one backend
    only take it as their ``ledger`` (over tests/collector/conftest.py's SQLite and
    PostgreSQL pair)."""
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    led.migrate()
    yield led
    led.close()


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown under -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under pytest-xdist, the demo's consumers on one worker: the demo runs once."""
    return demo_scheduler(config, log)
