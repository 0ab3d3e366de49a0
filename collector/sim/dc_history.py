"""A past week of the simulated datacentre, polled over real SNMP at simulated times.

The demo gives its agents a week of buffered history; this gives the datacentre (its PDUs, the
UPS that is its facility meter, the PoE midspan) the same week, so the demo's PUE and network
kWh rest on a week of real coverage, not on the live minute. For each simulated instant the
datacentre's values are advanced (:meth:`SimDatacentre.tick`: registers integrate, uptimes
advance), every target is polled over UDP through the responder exactly as the collector
polls it (profile detection, counter state, wraps), and the samples are stamped with the
simulated instant, since a poll stamps its samples with the wall clock.

The last simulated round is at the end of the period, where live polling takes over, so that
an always-on device shows no gap at the hand-over. Run it before the first live
:meth:`SimDatacentre.tick`: the registers then go on rising from where the week left them,
and the live polls continue the same counters.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from collector.config import SnmpTarget
from collector.model import Sample
from collector.sim.datacentre import SimDatacentre
from collector.snmp.client import SnmpClient
from collector.snmp.counters import CounterState
from collector.snmp.device import poll_device

DEFAULT_INTERVAL = timedelta(minutes=15)  # as the agents' simulated history
BATCH_ROUNDS = 96  # one write per simulated day


@dataclasses.dataclass(frozen=True, slots=True)
class HistoryReport:
    """What a replay did: rounds polled, samples written, failed polls (with the last error)."""

    rounds: int
    samples: int
    failures: int
    last_error: str | None = None


async def _replay(
    dc: SimDatacentre,
    targets: Sequence[SnmpTarget],
    instants: list[datetime],
    write: Callable[[list[Sample]], None],
    timeout: float,
    retries: int,
) -> HistoryReport:
    client = SnmpClient()
    states = {t.device_id: CounterState() for t in targets}
    batch: list[Sample] = []
    samples = failures = 0
    last_error: str | None = None
    try:
        for i, at in enumerate(instants, start=1):
            dc.tick(at)
            polls = (
                poll_device(t, timeout=timeout, retries=retries, state=states[t.device_id],
                            client=client)
                for t in targets
            )  # fmt: skip
            results = await asyncio.gather(*polls)
            for r in results:
                if r.error is not None:
                    failures += 1
                    last_error = f"{r.device_id}: {r.error}"
                batch += [dataclasses.replace(s, ts=at) for s in r.samples]
            if i % BATCH_ROUNDS == 0 or i == len(instants):
                write(batch)
                samples += len(batch)
                batch = []
    finally:
        client.close()
    return HistoryReport(len(instants), samples, failures, last_error)


def replay_history(
    dc: SimDatacentre,
    targets: Sequence[SnmpTarget],
    start: datetime,
    end: datetime,
    write: Callable[[list[Sample]], None],
    *,
    interval: timedelta = DEFAULT_INTERVAL,
    timeout: float = 1.0,
    retries: int = 1,
) -> HistoryReport:
    """Poll ``targets`` at every ``interval`` of [start, end] in simulated time, counted back
    from ``end``: the last round is at ``end``, where live polling takes over (a last round an
    interval before it would leave a gap that reads as ``device_silent``). ``write`` gets the
    samples in batches (e.g. ``CollectorApp.on_snmp_samples``)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    instants = []
    at = end
    while at >= start:
        instants.append(at)
        at -= interval
    instants.reverse()
    return asyncio.run(_replay(dc, targets, instants, write, timeout, retries))
