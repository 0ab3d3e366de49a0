"""Fixtures of the collector tests."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.ledger import Ledger
from loopback.servers import _Postgres
from tests.collector.report_ledger import write_setup


@pytest.fixture(scope="session")
def report_setup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collector.toml of the report tests' ledger (tests/collector/report_ledger.py); read only."""
    return write_setup(tmp_path_factory.mktemp("report-ledger"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """A migrated ledger on SQLite, and on the real PostgreSQL (a database per test); a test
    module may override it with a ledger of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    else:
        pg: _Postgres = request.getfixturevalue("postgres")
        url = pg.create_database(f"ledger_{zlib.crc32(request.node.nodeid.encode())}")
    led = Ledger(url)
    led.migrate()
    yield led
    led.close()
