"""The ledger's writes in a process of their own (``ledger.writer_process``): the same
promises as in-process (``test_durable_ingest.py``), and a writer that dies loses nothing.

Real SQLite, real child processes; the failures are real ones (a dropped table, a trigger
that refuses a row, SIGKILL).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import text

from collector.app import CollectorApp
from collector.config import CollectorConfig
from collector.ingest.pipeline import Ingestor
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.ledger import tables as t
from collector.ledger.writer import LedgerWriter
from collector.metrics import CollectorMetrics
from loopback.servers import Server
from tests.collector.test_durable_ingest import TOPIC, Acks, _gauge, _wait, message


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    return sqlite_ledger  # SQLite only (tests/conftest.py)


@pytest.fixture
def writer(ledger: Ledger) -> Iterator[LedgerWriter]:
    w = LedgerWriter(ledger.url, dead_letter_payload_bytes=16_384)
    yield w
    w.close()


def _child(writer: LedgerWriter) -> psutil.Process:
    child = writer._child
    assert child is not None and child.pid is not None
    return psutil.Process(child.pid)


def test_everything_is_stored_once_and_acknowledged_after_the_commit(
    ledger: Ledger, writer: LedgerWriter
) -> None:
    metrics, acks = CollectorMetrics(), Acks()
    ingestor = Ingestor(writer, metrics, batch_size=40)
    payloads = [message(i, watts=10 + i % 50) for i in range(200)]
    forged = message(3, watts=9999)  # the same (device, seq) as payloads[3], other content
    for p in [*payloads, payloads[5], forged]:
        ingestor.submit(TOPIC, p, ack=acks.for_(p))
    ingestor.start()
    assert ingestor.wait_idle(60)
    ingestor.stop()
    assert ledger.count("messages") == 200 and ledger.count("samples") == 200
    assert sorted(acks.done) == sorted([*payloads, payloads[5], forged])
    (dead,) = ledger.dead_letters()
    assert dead.payload == forged and "conflict" in dead.reason
    assert metrics.messages.labels("stored")._value.get() == 200
    assert metrics.messages.labels("duplicate")._value.get() == 1
    assert metrics.readings.labels("mqtt")._value.get() == 200
    assert writer.count_online() == 0


def test_nothing_is_acknowledged_while_the_ledger_is_down(
    ledger: Ledger, writer: LedgerWriter
) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(text("DROP TABLE samples"))
    metrics, acks = CollectorMetrics(), Acks()
    ingestor = Ingestor(writer, metrics, retry_max_seconds=0.2, batch_size=50)
    payloads = [message(i) for i in range(120)]
    ingestor.start()
    try:
        for p in payloads:
            ingestor.submit(TOPIC, p, ack=acks.for_(p))
        _wait(lambda: _gauge(metrics, "veille_collector_ledger_failures_total") >= 3, 60)
        assert acks.done == [] and ledger.count("messages") == 0
        t.samples.create(ledger.engine)
        assert ingestor.wait_idle(60)
    finally:
        ingestor.stop()
    assert sorted(acks.done) == sorted(payloads)
    assert ledger.count("samples") == 120 and ledger.dead_letters() == []


def test_a_row_the_ledger_refuses_is_split_out_in_the_writer_too(
    ledger: Ledger, writer: LedgerWriter
) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_666 BEFORE INSERT ON samples WHEN NEW.value = 666 "
                "BEGIN SELECT RAISE(ABORT, 'value 666 refused by the ledger'); END"
            )
        )
    metrics, acks = CollectorMetrics(), Acks()
    ingestor = Ingestor(writer, metrics)
    good = [message(i, watts=40 + i % 50) for i in range(60)]
    bad = message(1000, watts=666)
    payloads = [*good[:20], bad, *good[20:]]
    for p in payloads:
        ingestor.submit(TOPIC, p, ack=acks.for_(p))
    ingestor.start()
    assert ingestor.wait_idle(60)
    ingestor.stop()
    assert ledger.count("samples") == 60
    (dead,) = ledger.dead_letters()
    assert dead.payload == bad and "value 666 refused by the ledger" in dead.reason
    assert sorted(acks.done) == sorted(payloads)


def test_a_writer_killed_loses_nothing_and_a_new_one_takes_over(
    ledger: Ledger, writer: LedgerWriter
) -> None:
    metrics, acks = CollectorMetrics(), Acks()
    ingestor = Ingestor(writer, metrics, retry_max_seconds=0.2, batch_size=20)
    first = [message(i) for i in range(100)]
    ingestor.start()
    for p in first:
        ingestor.submit(TOPIC, p, ack=acks.for_(p))
    assert ingestor.wait_idle(60)
    victim = _child(writer)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    rest = [message(i) for i in range(100, 300)]
    for p in rest:
        ingestor.submit(TOPIC, p, ack=acks.for_(p))
    assert ingestor.wait_idle(60)
    ingestor.stop()
    assert _child(writer).pid != victim.pid
    assert ledger.count("messages") == 300 and ledger.count("samples") == 300
    assert sorted(acks.done) == sorted([*first, *rest])  # each once, all stored
    assert _gauge(metrics, "veille_collector_ledger_failures_total") >= 1


def test_the_writer_exits_with_its_pipe(ledger: Ledger, writer: LedgerWriter) -> None:
    assert writer.count_online() == 0  # starts the child
    child = _child(writer)
    assert child.is_running()
    writer.close()  # closes the pipe, then joins the child
    assert not child.is_running()


@pytest.mark.parametrize(("window", "warned"), [(300, True), (600, False)])
def test_a_window_too_small_for_three_batches_is_said_at_start(
    tmp_path: Path, mosquitto: Server, caplog: pytest.LogCaptureFixture, window: int, warned: bool
) -> None:
    cfg = CollectorConfig.model_validate(
        {
            "mqtt": {
                "embedded": False,
                "port": mosquitto.port,
                "protocol": "5",
                "client_id": f"window-{window}",
                "receive_maximum": window,
            },
            "ledger": {
                "url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
                "writer_process": True,
                "batch_messages": 200,
            },
            "metrics": {"port": 0},
        }
    )
    app = CollectorApp(cfg, Inventory([]), spool_dir=tmp_path / "spool")
    with caplog.at_level(logging.WARNING, logger="collector.app"):
        app.start(jobs=False)
    try:
        assert app.ingestor is not None and app.ingestor.batch_size == 200
        assert app.writer is not None and _child(app.writer).is_running()  # started with the app
        said = [r.getMessage() for r in caplog.records if "three batches" in r.getMessage()]
        if warned:
            assert said == [
                "mqtt.receive_maximum 300 holds fewer than three batches of "
                "ledger.batch_messages 200: the ledger writer process will wait for the broker "
                "(README, 'Scaling out')"
            ]
        else:
            assert said == []
    finally:
        app.stop()
