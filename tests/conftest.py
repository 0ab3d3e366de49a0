"""Shared fixtures: real servers on loopback, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback import servers

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
