"""The store-and-forward spool: order, bounds, drop counts, seq across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.spool import Spool


def _payload(seq: int) -> bytes:
    return f'{{"seq":{seq}}}'.encode()


def test_in_order_and_acked_messages_leave() -> None:
    spool = Spool(":memory:", max_messages=100, max_age_seconds=3600)
    seqs = [spool.append(_payload) for _ in range(5)]
    assert seqs == [0, 1, 2, 3, 4]
    assert [s for s, _ in spool.peek(None, 10)] == seqs
    assert [s for s, _ in spool.peek(1, 2)] == [2, 3]
    spool.ack(0)
    spool.ack(2)
    assert [s for s, _ in spool.peek(None, 10)] == [1, 3, 4]
    assert len(spool) == 3


def test_overflow_drops_the_oldest_and_counts() -> None:
    spool = Spool(":memory:", max_messages=10, max_age_seconds=3600)
    for _ in range(25):
        spool.append(_payload)
    assert len(spool) == 10
    assert [s for s, _ in spool.peek(None, 100)] == list(range(15, 25))
    assert spool.dropped_total["overflow"] == 15


def test_expiry_by_age_is_counted() -> None:
    now = {"t": 1_000_000.0}
    spool = Spool(":memory:", max_messages=100, max_age_seconds=60, clock=lambda: now["t"])
    spool.append(_payload)
    spool.append(_payload)
    now["t"] += 30
    spool.append(_payload)
    now["t"] += 45  # the first two are 75 s old, the third 45 s
    assert [s for s, _ in spool.peek(None, 10)] == [2]
    assert spool.dropped_total["expired"] == 2
    assert spool.oldest_age_seconds() == pytest.approx(45)


def test_seq_and_drop_counts_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "spool.sqlite"
    spool = Spool(path, max_messages=3, max_age_seconds=3600)
    for _ in range(5):
        spool.append(_payload)
    for seq, _ in spool.peek(None, 10):
        spool.ack(seq)
    spool.close()
    again = Spool(path, max_messages=3, max_age_seconds=3600)
    assert again.next_seq == 5  # the spool is empty, yet seq never goes back
    assert again.append(_payload) == 5
    assert again.dropped_total["overflow"] == 2
    again.close()


def test_unacked_messages_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    spool = Spool(path, max_messages=100, max_age_seconds=3600)
    for _ in range(3):
        spool.append(_payload)
    spool.ack(0)
    spool.close()
    again = Spool(path, max_messages=100, max_age_seconds=3600)
    assert again.peek(None, 10) == [(1, _payload(1)), (2, _payload(2))]


def test_many_memory_spools_are_independent() -> None:
    spools = [Spool(":memory:", max_messages=10, max_age_seconds=60) for _ in range(100)]
    spools[0].append(_payload)
    assert len(spools[0]) == 1 and len(spools[99]) == 0
