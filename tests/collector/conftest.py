"""Fixtures of the collector tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.collector.report_ledger import write_setup


@pytest.fixture(scope="session")
def report_setup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collector.toml of the report tests' ledger (tests/collector/report_ledger.py); read only."""
    return write_setup(tmp_path_factory.mktemp("report-ledger"))
