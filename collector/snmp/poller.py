"""Poll this collector's share of the SNMP targets, round after round.

Reads each target with :func:`poll_device` (power in W, energy in J, uptime in s) and hands the
samples of a round to ``on_samples``. A round polls at most ``concurrency`` targets at once and
gives each a time budget; one dead or misconfigured target never stops a round. A target that
keeps failing is polled less often (exponential backoff, capped), and every failure is counted
in ``errors_by_target``. With several collectors, each polls the targets of its own shard:
``crc32(device_id) % shards == shard``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collector.config import SnmpSettings, SnmpTarget
from collector.metrics import SnmpStats
from collector.model import Sample
from collector.snmp.client import SnmpClient
from collector.snmp.counters import CounterState
from collector.snmp.device import PollResult, poll_device, read_device
from collector.snmp.profiles import Profile

__all__ = [
    "CounterState",
    "PollResult",
    "RoundReport",
    "SnmpPoller",
    "in_shard",
    "poll_device",
    "read_device",
]

log = logging.getLogger(__name__)

#: A healthy poll is a handful of requests; a target gets this many request timeouts in all.
REQUESTS_BUDGET = 4
#: Backoff never skips a target for longer than this.
BACKOFF_CAP_SECONDS = 900.0


def in_shard(device_id: str, shard: int, shards: int) -> bool:
    return zlib.crc32(device_id.encode("utf-8")) % shards == shard


@dataclass(frozen=True, slots=True)
class RoundReport:
    """One round: how many targets were polled, how many failed or waited out a backoff."""

    started_at: datetime
    duration_seconds: float
    polled: int
    ok: int
    failed: int
    skipped: int
    samples: int
    results: list[PollResult] = field(default_factory=list)
    errors_by_target: dict[str, int] = field(default_factory=dict)


class SnmpPoller:
    """Polls ``settings.targets`` of this shard; ``on_samples`` gets each round's samples."""

    def __init__(
        self,
        settings: SnmpSettings,
        on_samples: Callable[[list[Sample]], None],
        *,
        profiles: dict[str, Profile] | None = None,
    ) -> None:
        self.settings = settings
        self.on_samples = on_samples
        self.profiles = profiles
        self.targets: list[SnmpTarget] = [
            t for t in settings.targets if in_shard(t.device_id, settings.shard, settings.shards)
        ]
        self.errors_by_target: dict[str, int] = {}
        self.samples_lost = 0
        self.states: dict[str, CounterState] = {}
        self.rounds = 0
        self._failures: dict[str, int] = {}
        self._skip: dict[str, int] = {}
        self._refused_logged: set[str] = set()
        self._client = SnmpClient(settings.concurrency, source_address=settings.source_address)

    @property
    def budget_seconds(self) -> float:
        """The longest one target may take in a round."""
        s = self.settings
        return s.timeout_seconds * (s.retries + 1) * REQUESTS_BUDGET

    async def run_round(self) -> RoundReport:
        started, t0 = datetime.now(UTC), time.monotonic()
        due: list[SnmpTarget] = []
        for target in self.targets:
            waiting = self._skip.get(target.device_id, 0)
            if waiting > 0:
                self._skip[target.device_id] = waiting - 1
            else:
                due.append(target)
        slots = asyncio.Semaphore(min(self.settings.concurrency, 50))

        async def one(target: SnmpTarget) -> PollResult:
            async with slots:
                return await self._poll(target)

        results = list(await asyncio.gather(*(one(t) for t in due)))
        samples = [s for r in results for s in r.samples]
        if samples:
            try:
                self.on_samples(samples)
            except Exception:
                self.samples_lost += len(samples)
                log.exception(
                    "on_samples failed; %d SNMP samples lost (%d since start)",
                    len(samples),
                    self.samples_lost,
                )
        self.rounds += 1
        failed = sum(1 for r in results if r.error)
        return RoundReport(
            started_at=started,
            duration_seconds=time.monotonic() - t0,
            polled=len(results),
            ok=len(results) - failed,
            failed=failed,
            skipped=len(self.targets) - len(due),
            samples=len(samples),
            results=results,
            errors_by_target=dict(self.errors_by_target),
        )

    async def _poll(self, target: SnmpTarget) -> PollResult:
        s = self.settings
        state = self.states.setdefault(target.device_id, CounterState())
        try:
            result = await asyncio.wait_for(
                poll_device(
                    target,
                    timeout=s.timeout_seconds,
                    retries=s.retries,
                    state=state,
                    client=self._client,
                    profiles=self.profiles,
                ),
                self.budget_seconds,
            )
        except TimeoutError:
            result = self._failed(target, f"no complete answer within {self.budget_seconds:g} s")
        except Exception as exc:  # a bug must not stop the round; it is logged and counted
            log.exception("polling %s failed", target.device_id)
            result = self._failed(target, f"internal error: {exc!r}")
        self._account(target.device_id, result)
        return result

    @staticmethod
    def _failed(target: SnmpTarget, error: str) -> PollResult:
        return PollResult(target.device_id, None, None, None, None, None, error=error)

    def _account(self, device_id: str, result: PollResult) -> None:
        if result.error is None:
            self._failures.pop(device_id, None)
            if result.refused and device_id not in self._refused_logged:
                self._refused_logged.add(device_id)  # once per target, not once per round
                log.warning("SNMP %s: read as unknown: %s", device_id, "; ".join(result.refused))
            return
        self.errors_by_target[device_id] = self.errors_by_target.get(device_id, 0) + 1
        n = self._failures.get(device_id, 0) + 1
        self._failures[device_id] = n
        cap = max(1, int(BACKOFF_CAP_SECONDS / self.settings.interval_seconds))
        self._skip[device_id] = min(2 ** min(n - 1, 30) - 1, cap)
        if n == 1:
            log.warning("SNMP %s: %s", device_id, result.error)

    def stats(self) -> SnmpStats:
        """Failures per target and samples lost since start (for /metrics). Every target of
        this shard is listed, at 0 until it fails, so a dashboard sees the targets polled."""
        errors = {t.device_id: 0 for t in self.targets} | self.errors_by_target
        return SnmpStats(errors, self.samples_lost)

    def schedule(self, scheduler: Any) -> None:
        """Run a round every ``interval_seconds`` on an apscheduler ``AsyncIOScheduler``."""
        scheduler.add_job(
            self.run_round,
            "interval",
            seconds=self.settings.interval_seconds,
            id=f"snmp-round-{self.settings.shard}",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )

    def close(self) -> None:
        self._client.close()
