"""The ledger's disk fills, then space comes back: nothing acknowledged is lost, the collector
says so once each way, on /metrics too, and resumes by itself.

A real full filesystem: the SQLite ledger lives on a 2 MB tmpfs mounted by the test (root
only; skipped with the reason otherwise), grown to 64 MB again with ``mount -o remount``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback.servers import Server, mosquitto
from tests.faults.helpers import (
    Publisher,
    assert_all_stored_once,
    in_process_collector,
    keys_of,
    telemetry_messages,
    wait_for,
)

pytestmark = pytest.mark.integration

READINGS = 20


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs as the full disk needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Server]:
    server = mosquitto(tmp_path / "mosquitto")
    yield server
    server.stop()


def test_full_disk_then_space_back(
    tmp_path: Path, small_disk: Path, broker: Server, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{small_disk / 'ledger.sqlite'}"
    caplog.set_level(logging.INFO, logger="collector")
    app = in_process_collector(broker.port, url, "fault-disk", tmp_path)
    sent = telemetry_messages(devices=10, per_device=150, readings=READINGS)  # ~5 MB of rows
    try:
        publisher = Publisher(broker.port, sent, "fault-disk-pub").start()
        gauge = app.metrics.ledger_up
        wait_for(lambda: gauge._value.get() == 0, 60, "the ledger reported down")
        assert publisher.join(60) == len(sent)  # the broker took them all meanwhile
        time.sleep(2)  # full for a while: retried, and said once
        stored_while_full = app.ledger.count("messages")
        assert stored_while_full < len(sent)
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        wait_for(lambda: app.ledger.count("messages") == len(sent), 60, "all stored")
        assert app.ingestor is not None and app.ingestor.wait_idle(30)
        assert gauge._value.get() == 1
        assert app.metrics.ledger_failures._value.get() >= 2
    finally:
        app.stop()
    said = [r for r in caplog.records if r.name.startswith("collector")]
    pipeline = [r for r in said if r.name == "collector.ingest.health"]
    assert [r.levelname for r in pipeline] == ["ERROR", "WARNING"], [
        r.getMessage() for r in pipeline
    ]
    assert "disk is full" in pipeline[0].getMessage()
    assert len(said) < 10  # not a line per message
    assert_all_stored_once(url, keys_of(sent), READINGS)
