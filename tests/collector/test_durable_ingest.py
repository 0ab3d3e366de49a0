"""The store path: acknowledge only what is committed, hold while the ledger is unavailable,
split a batch the ledger refuses, tell a resend from a conflict, and a new agent epoch.

Every failure here is a real one of a real SQLite ledger (a dropped table, a trigger that
refuses a row), not a stub.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from collector.ingest.pipeline import Ingestor
from collector.ledger import Ledger
from collector.ledger import tables as t
from collector.metrics import CollectorMetrics
from contract.schema import Quality, Reading, Telemetry, topic

TOPIC = topic("mairie", "pc-1", "telemetry")


def message(seq: int, watts: float = 40.0, epoch: str | None = None, device: str = "pc-1") -> bytes:
    now = datetime.now(UTC)
    return Telemetry(
        device_id=device,
        seq=seq,
        epoch=epoch,
        sent_at=now,
        readings=[
            Reading(
                ts=now, metric="power_watts", value=watts, source="model", quality=Quality.ESTIMATED
            )
        ],
    ).to_json()


class Acks:
    """What the broker would have been told is stored."""

    def __init__(self) -> None:
        self.done: list[bytes] = []
        self._lock = threading.Lock()

    def for_(self, payload: bytes) -> Callable[[], None]:
        def ack() -> None:
            with self._lock:
                self.done.append(payload)

        return ack


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    return sqlite_ledger  # SQLite only (tests/conftest.py)


def _gauge(metrics: CollectorMetrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    assert value is not None, name
    return value


def _wait(cond: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_nothing_is_acknowledged_while_the_ledger_is_down_and_it_resumes_alone(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(text("DROP TABLE samples"))  # a real failure of the real database
    metrics, acks = CollectorMetrics(), Acks()
    ingestor = Ingestor(ledger, metrics, retry_max_seconds=0.2, batch_size=50)
    payloads = [message(i) for i in range(300)]
    caplog.set_level(logging.WARNING, logger="collector.ingest.health")
    ingestor.start()
    try:
        for p in payloads:
            ingestor.submit(TOPIC, p, ack=acks.for_(p))
        _wait(lambda: _gauge(metrics, "veille_collector_ledger_failures_total") >= 5)
        assert acks.done == []
        assert _gauge(metrics, "veille_collector_ledger_up") == 0
        assert ledger.count("messages") == 0 and ledger.dead_letters() == []
        t.samples.create(ledger.engine)  # the operator mends the ledger
        assert ingestor.wait_idle(20)
    finally:
        ingestor.stop()
    assert sorted(acks.done) == sorted(payloads)  # each acknowledged once, after storing
    assert ledger.count("messages") == 300 and ledger.count("samples") == 300
    assert _gauge(metrics, "veille_collector_ledger_up") == 1
    lines = [r for r in caplog.records if r.name == "collector.ingest.health"]
    assert [r.levelname for r in lines] == ["ERROR", "WARNING"]  # once down, once back
    assert "ledger unavailable" in lines[0].getMessage()
    assert "samples" in lines[0].getMessage()  # the database's own reason
    assert "ledger back" in lines[1].getMessage()


def test_stopping_with_the_ledger_down_acknowledges_nothing(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(text("DROP TABLE samples"))
    metrics, acks = CollectorMetrics(), Acks()
    ingestor = Ingestor(ledger, metrics, retry_max_seconds=0.2)
    ingestor.start()
    for i in range(10):
        p = message(i)
        ingestor.submit(TOPIC, p, ack=acks.for_(p))
    _wait(lambda: _gauge(metrics, "veille_collector_ledger_failures_total") >= 1)
    started = time.monotonic()
    ingestor.stop(timeout=5)
    assert time.monotonic() - started < 3
    assert acks.done == [] and ledger.dead_letters() == []


def test_a_row_the_ledger_refuses_is_split_out_of_its_batch(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:  # the database itself refuses one value
        conn.execute(
            text(
                "CREATE TRIGGER refuse_666 BEFORE INSERT ON samples WHEN NEW.value = 666 "
                "BEGIN SELECT RAISE(ABORT, 'value 666 refused by the ledger'); END"
            )
        )
    metrics, acks = CollectorMetrics(), Acks()
    ingestor = Ingestor(ledger, metrics)
    good = [message(i, watts=40 + i % 50) for i in range(100)]
    bad = message(1000, watts=666)
    payloads = [*good[:37], bad, *good[37:]]
    for p in payloads:  # queued before the worker starts: one batch of 101
        ingestor.submit(TOPIC, p, ack=acks.for_(p))
    ingestor.start()
    assert ingestor.wait_idle(20)
    ingestor.stop()
    assert ledger.count("messages") == 100 and ledger.count("samples") == 100
    (dead,) = ledger.dead_letters()
    assert dead.payload == bad and "value 666 refused by the ledger" in dead.reason
    assert sorted(acks.done) == sorted(payloads)
    assert metrics.rejects.labels("ledger_refused")._value.get() == 1
    assert metrics.messages.labels("stored")._value.get() == 100


def test_a_resend_is_a_duplicate_and_other_content_is_a_conflict(ledger: Ledger) -> None:
    metrics, acks = CollectorMetrics(), Acks()
    ingestor = Ingestor(ledger, metrics)
    ingestor.start()
    first = message(7, watts=40)
    ingestor.submit(TOPIC, first, ack=acks.for_(first))
    assert ingestor.wait_idle(10)
    forged = message(7, watts=9999)  # the same (device, seq), other readings
    for p in (first, forged, forged):  # a resend, and a conflict twice (itself resent)
        ingestor.submit(TOPIC, p, ack=acks.for_(p))
    assert ingestor.wait_idle(10)
    ingestor.stop()
    assert ledger.count("messages") == 1
    (sample,) = ledger.samples_for("pc-1", datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))
    assert sample.value == 40  # the first content stays
    dead = ledger.dead_letters()
    assert [d.payload for d in dead] == [forged, forged]
    assert all("conflict" in d.reason and "seq 7" in d.reason for d in dead)
    assert metrics.messages.labels("duplicate")._value.get() == 1
    assert metrics.messages.labels("conflict")._value.get() == 2
    assert len(acks.done) == 4


def test_a_new_epoch_restarting_at_seq_0_is_new_data_logged_once(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = CollectorMetrics()
    ingestor = Ingestor(ledger, metrics)
    ingestor.start()
    old = [message(i, watts=10 + i, epoch="aaaaaaaaaaaaaaaa") for i in range(5)]
    for p in old:
        ingestor.submit(TOPIC, p)
    assert ingestor.wait_idle(10)
    caplog.set_level(logging.WARNING, logger="collector.ledger.store")
    wiped = [message(i, watts=20 + i, epoch="bbbbbbbbbbbbbbbb") for i in range(5)]
    for p in wiped:  # the spool was wiped: seq 0 again, under a new epoch
        ingestor.submit(TOPIC, p)
    assert ingestor.wait_idle(10)
    ingestor.submit(TOPIC, message(9, watts=1))  # an older agent: no epoch at all
    assert ingestor.wait_idle(10)
    ingestor.stop()
    assert ledger.count("messages") == 11 and ledger.count("samples") == 11
    assert metrics.messages.labels("duplicate")._value.get() == 0
    with ledger.engine.connect() as conn:
        epochs = sorted(set(conn.execute(select(t.messages.c.epoch)).scalars()))
    assert epochs == ["", "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]
    said = [r.getMessage() for r in caplog.records if "new agent epoch" in r.getMessage()]
    assert len(said) == 2  # a → b, then b → none: once each, not once per message
    assert "'bbbbbbbbbbbbbbbb'" in said[0] and "'aaaaaaaaaaaaaaaa'" in said[0]


def test_an_epoch_that_is_not_an_identifier_is_rejected(ledger: Ledger) -> None:
    metrics = CollectorMetrics()
    ingestor = Ingestor(ledger, metrics)
    ingestor.start()
    payload = message(1).replace(b'"seq":1', b'"seq":1,"epoch":"a/b"')
    ingestor.submit(TOPIC, payload)
    assert ingestor.wait_idle(10)
    ingestor.stop()
    (dead,) = ledger.dead_letters()
    assert "epoch" in dead.reason
