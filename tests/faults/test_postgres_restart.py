"""PostgreSQL restarted under two collectors sharing the MQTT load: while it is down they hold
their messages unacknowledged; when it is back they store them, each once.

Two ``CollectorApp`` on one Mosquitto (MQTT v5 shared subscription), one PostgreSQL. The
server gets a fast shutdown (SIGINT to the postmaster) in the middle of the stream, stays down
3 s while publishing goes on, and starts again on the same port and data.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from collector.app import CollectorApp
from loopback.servers import Server, _Postgres
from tests.faults.helpers import (
    Publisher,
    assert_all_stored_once,
    in_process_collector,
    keys_of,
    ledger_counts,
    telemetry_messages,
    wait_for,
)

pytestmark = pytest.mark.integration

READINGS = 10


def _restart(postgres: _Postgres, down_seconds: float) -> None:
    pid = int((postgres.workdir / "data" / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGINT)  # fast shutdown: open sessions are cut
    assert postgres.proc is not None
    postgres.proc.wait(30)
    time.sleep(down_seconds)
    postgres.start()


def test_postgres_restarted_under_two_collectors(
    tmp_path: Path, mosquitto: Server, postgres: _Postgres
) -> None:
    url = postgres.create_database("fault_restart")
    sent = telemetry_messages(devices=20, per_device=100, readings=READINGS)
    apps: list[CollectorApp] = []
    try:
        for n in range(2):  # one after the other: the first one runs the migrations
            apps.append(
                in_process_collector(
                    mosquitto.port,
                    url,
                    f"fault-pg-{n}",
                    tmp_path,
                    protocol="5",
                    shared_group="fault-pg",
                )
            )
        publisher = Publisher(mosquitto.port, sent, "fault-pg-pub").start()
        wait_for(lambda: ledger_counts(url)[0] >= 300, 60, "300 messages stored")
        _restart(postgres, down_seconds=3)
        assert publisher.join(60) == len(sent)
        wait_for(lambda: ledger_counts(url)[0] >= len(sent), 60, "all stored after the restart")
        for app in apps:
            assert app.ingestor is not None and app.ingestor.wait_idle(30)
        failures = [app.metrics.ledger_failures._value.get() for app in apps]
        assert sum(failures) >= 1  # they did see it down
        assert all(app.metrics.ledger_up._value.get() == 1 for app in apps)
        stored = [app.metrics.messages.labels("stored")._value.get() for app in apps]
        assert min(stored) > 0  # both took a share
        # (a commit cut by the shutdown may have landed: its retry then counts duplicates)
    finally:
        for app in apps:
            app.stop()
    assert_all_stored_once(url, keys_of(sent), READINGS)
