"""What the SNMP fault tests share: a UDP relay that can go silent, polling rounds into a real
SQLite ledger, and the check that the ledger holds exactly the samples the poller handed over.

The relay sits between the poller and the :class:`SnmpResponder` on 127.0.0.1: while
``silent`` it drops every request, as a device that stopped answering (or a lost route) does,
and the poller sees real request timeouts.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from collector.ledger import Ledger
from collector.ledger import tables as t
from collector.model import Sample
from collector.snmp.poller import RoundReport, SnmpPoller

SampleKey = tuple[str, str, str | None, float, str]


class SilentRelay:
    """Forwards SNMP datagrams from its own UDP port to ``upstream``; drops them while silent."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.silent = False
        self.dropped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snmp-relay", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                request, client = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            if self.silent:
                self.dropped += 1
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
                up.settimeout(2.0)
                up.sendto(request, self.upstream)
                with suppress(TimeoutError):
                    self.sock.sendto(up.recv(65535), client)

    @contextmanager
    def running(self) -> Iterator[SilentRelay]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(5)
            self.sock.close()


@dataclass
class Rounds:
    """Runs the poller round by round; every batch it hands over goes to the ledger and is
    remembered, so that the test can compare the two."""

    poller: SnmpPoller
    ledger: Ledger
    handed: list[Sample] = field(default_factory=list)

    def on_samples(self, samples: list[Sample]) -> None:
        self.ledger.write_samples(samples)  # what CollectorApp.on_snmp_samples stores
        self.handed.extend(samples)

    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)

    def run(self, n: int = 1) -> list[RoundReport]:
        """``n`` rounds, on one event loop for the whole test (the SNMP client's socket is
        bound to it, as in the collector's SNMP thread)."""
        return [self.loop.run_until_complete(self.poller.run_round()) for _ in range(n)]

    def close(self) -> None:
        self.poller.close()
        self.loop.close()


def _utc(ts: datetime) -> str:
    """One spelling of an instant (SQLite gives naive UTC back, PostgreSQL aware)."""
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def key(s: Sample) -> SampleKey:
    return (s.device_id, s.metric, s.component, s.value, _utc(s.ts))


def stored(ledger: Ledger) -> Counter[SampleKey]:
    cols = (t.samples.c.device_id, t.samples.c.metric, t.samples.c.component, t.samples.c.value)
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(*cols, t.samples.c.ts)).all()
    return Counter((d, m, c, v, _utc(ts)) for d, m, c, v, ts in rows)


def assert_stored_once(rounds: Rounds) -> None:
    """The ledger holds every sample the poller handed over, each exactly once, and no other."""
    handed = Counter(key(s) for s in rounds.handed)
    assert max(handed.values(), default=1) == 1, "the poller handed a sample twice"
    in_ledger = stored(rounds.ledger)
    assert in_ledger == handed, (
        f"lost: {sorted(handed - in_ledger)[:5]}, extra: {sorted(in_ledger - handed)[:5]}"
    )
