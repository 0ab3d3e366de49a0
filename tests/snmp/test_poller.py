"""Polling rounds: a dead target never stops the others, backoff, shards, the scheduler."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr

from collector.config import SnmpSettings, SnmpTarget
from collector.model import Sample
from collector.snmp.poller import RoundReport, SnmpPoller, in_shard
from collector.snmp.responder import SnmpResponder
from loopback.servers import free_port

pytestmark = pytest.mark.integration

GOOD = {"deltaups": 951, "eatonups": 231, "sentry4": 1701, "liebert": 2411, "apc_ap7900b": 312}
TIMEOUT, RETRIES = 0.4, 1


def _targets(port: int) -> list[SnmpTarget]:
    return [
        SnmpTarget(device_id=name, host="127.0.0.1", port=port, community=SecretStr(name))
        for name in GOOD
    ]


def _dead() -> SnmpTarget:
    port = free_port(socket.SOCK_DGRAM)  # nothing listens there
    return SnmpTarget(device_id="dead-pdu", host="127.0.0.1", port=port, community=SecretStr("x"))


def _rounds(poller: SnmpPoller, n: int) -> list[RoundReport]:
    async def run() -> list[RoundReport]:
        try:
            return [await poller.run_round() for _ in range(n)]
        finally:
            poller.close()

    return asyncio.run(run())


def test_a_dead_target_is_counted_and_the_others_report(responder: SnmpResponder) -> None:
    settings = SnmpSettings(
        timeout_seconds=TIMEOUT,
        retries=RETRIES,
        concurrency=4,
        targets=[_dead(), *_targets(responder.port)],
    )
    batches: list[list[Sample]] = []
    poller = SnmpPoller(settings, batches.append)
    t0 = time.monotonic()
    first, second, third = _rounds(poller, 3)
    # The first round lasts about one request timeout of the dead target, not more.
    assert first.duration_seconds < TIMEOUT * (RETRIES + 1) + 1.0
    assert time.monotonic() - t0 < 3 * (TIMEOUT * (RETRIES + 1) + 1.0)
    assert (first.polled, first.ok, first.failed, first.skipped) == (6, 5, 1, 0)
    power = {
        s.device_id: s.value
        for s in batches[0]
        if s.metric == "power_watts" and s.component is None
    }
    assert power == pytest.approx(GOOD)
    dead = next(r for r in first.results if r.device_id == "dead-pdu")
    assert dead.error is not None and "no SNMP answer" in dead.error
    assert first.errors_by_target == {"dead-pdu": 1}
    # Backoff: polled again once, then skipped for a round after two failures in a row.
    assert second.errors_by_target == {"dead-pdu": 2} and second.skipped == 0
    assert third.skipped == 1 and third.polled == 5 and third.failed == 0
    assert poller.errors_by_target == {"dead-pdu": 2}
    assert len(batches) == 3


def test_targets_are_split_between_shards() -> None:
    targets = [
        SnmpTarget(device_id=f"pdu-{i:03d}", host="127.0.0.1", community=SecretStr("c"))
        for i in range(60)
    ]
    mine = [
        {
            t.device_id
            for t in SnmpPoller(SnmpSettings(shard=k, shards=3, targets=targets), print).targets
        }
        for k in range(3)
    ]
    assert set.union(*mine) == {t.device_id for t in targets}
    assert sum(len(m) for m in mine) == 60 and all(m for m in mine)
    assert all(in_shard(d, 1, 3) for d in mine[1])


def test_schedule_runs_rounds_on_an_asyncio_scheduler(responder: SnmpResponder) -> None:
    settings = SnmpSettings(
        interval_seconds=1, timeout_seconds=TIMEOUT, retries=0, targets=_targets(responder.port)[:2]
    )

    async def run() -> list[list[Sample]]:
        got: list[list[Sample]] = []
        arrived = asyncio.Event()

        def on_samples(samples: list[Sample]) -> None:
            got.append(samples)
            arrived.set()

        poller = SnmpPoller(settings, on_samples)
        scheduler = AsyncIOScheduler()
        poller.schedule(scheduler)
        scheduler.start()
        try:
            await asyncio.wait_for(arrived.wait(), 5)
        finally:
            scheduler.shutdown(wait=False)
            poller.close()
        return got

    got = asyncio.run(run())
    assert {s.device_id for s in got[0]} == {"deltaups", "eatonups"}
