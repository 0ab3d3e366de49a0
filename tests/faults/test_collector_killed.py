"""The collector SIGKILLed mid-batch, twice, and restarted: nothing it acknowledged is lost.

A real ``veille-collector run`` process with a persistent MQTT session on a real Mosquitto,
a SQLite ledger. 4,000 QoS 1 messages are published while the collector is killed twice in
the middle of storing them (with the ledger's writes in the collector, and in its writer
process, which must not outlive it); after the last restart every message the broker acknowledged to
the publisher is in the ledger exactly once, with all its readings.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import psutil
import pytest

from loopback.servers import Server, mosquitto
from tests.faults.helpers import (
    CollectorProcess,
    Publisher,
    assert_all_stored_once,
    collector_toml,
    keys_of,
    sqlite_count,
    telemetry_messages,
    wait_for,
)

pytestmark = pytest.mark.integration

READINGS = 10


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Server]:
    server = mosquitto(tmp_path / "mosquitto")
    yield server
    server.stop()


def _stored(db: Path, at_least: int) -> bool:
    return sqlite_count(db, "messages") >= at_least


@pytest.mark.parametrize("writer_process", [False, True], ids=["in-process", "writer-process"])
def test_collector_sigkilled_mid_batch_loses_nothing(
    tmp_path: Path, broker: Server, writer_process: bool
) -> None:
    db = tmp_path / "ledger.sqlite"
    url = f"sqlite:///{db}"
    config = tmp_path / "collector.toml"
    collector_toml(
        config,
        port=broker.port,
        ledger_url=url,
        client_id="fault-killed",
        writer_process=writer_process,
    )
    collector = CollectorProcess(config, tmp_path)
    # the writer process stores faster: more messages, so that it is still killed mid-work
    per_device = 600 if writer_process else 200
    sent = telemetry_messages(devices=20, per_device=per_device, readings=READINGS)
    collector.start()  # subscribes: the broker keeps its session from now on
    try:
        publisher = Publisher(broker.port, sent, "fault-killed-pub").start()
        for stored_at_least in (700, 1600):
            wait_for(partial(_stored, db, stored_at_least), 60, f"{stored_at_least} stored")
            assert collector.proc is not None
            # the writer (and multiprocessing's resource tracker beside it)
            writers = psutil.Process(collector.proc.pid).children()
            assert bool(writers) == writer_process
            assert sqlite_count(db, "messages") < len(sent)  # killed while work remained
            collector.kill()
            # its pipe closed, the writer ends (after the commit in hand, if any: stored and
            # never acknowledged, it comes again and is a duplicate)
            _gone, alive = psutil.wait_procs(writers, timeout=15)
            assert alive == []
            collector.start()
        acked = publisher.join(120)
        assert acked == len(sent)
        wait_for(lambda: sqlite_count(db, "messages") >= len(sent), 60, "all messages stored")
    finally:
        collector.stop()
    assert "Traceback" not in collector.log()
    assert_all_stored_once(url, keys_of(sent), READINGS)
