"""The time-series sink: samples to VictoriaMetrics or InfluxDB 2/3 as line protocol.

Writes ``POST {url}/api/v2/write?org=&bucket=&precision=ns`` through influxdb-client's
synchronous write API, from one background thread of our own, so every failure is seen here.
One line per sample (see ``lines.py``): VictoriaMetrics stores ``veille_<metric>``, e.g.
``veille_power_watts`` in watts. Settings per store are in ``README.md`` next to this file.

Delivery: ``write()`` encodes and queues in memory (bounded: the caller waits when full);
batches of ``batch_size`` lines, or whatever waited ``flush_interval_seconds``, are sent with
bounded retries. When the store stays down, batches go to a bounded disk spool
(``spool.py``) and the thread retries with exponential backoff, replaying the spool oldest
first before anything newer; the spool survives restarts. Counted, never silent: samples
written, spooled and dropped (spool full, disk error, store rejected the batch with 400/413/422,
value not finite), failed requests, and the last error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collector.config import TimeseriesSettings
from collector.model import Sample
from collector.sinks.lines import Encoded, TagsFor, encode, encode_readings, no_tags, payload
from collector.sinks.spool import Spool, SpoolDepth
from collector.sinks.store import LineStore, Outcome
from collector.wire import AnyReading

log = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.5
QUICK_RETRY_SECONDS = 0.1
REPLAY_BUDGET_SECONDS = 1.0
DROP_LOG_EVERY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class SinkStats:
    """Counters in samples (lines), except ``errors_total`` in requests."""

    written_total: int
    spooled_total: int
    dropped_total: int
    errors_total: int
    pending: int
    spool: SpoolDepth
    last_error: str | None
    last_drop: str | None


class TimeseriesSink:
    """A :class:`collector.sinks.Sink` writing to an InfluxDB-compatible ``/api/v2/write``."""

    def __init__(
        self,
        settings: TimeseriesSettings,
        *,
        tags_for: TagsFor = no_tags,
        close_timeout_seconds: float = 10.0,
    ) -> None:
        """Every limit comes from ``settings`` (``[timeseries]`` in collector.toml)."""
        self._store = LineStore(settings, settings.timeout_seconds)
        self._settings = settings
        self._tags_for = tags_for
        self._max_pending = settings.max_pending_lines or max(4 * settings.batch_size, 10_000)
        self._retries = settings.retries
        self._max_backoff = settings.max_backoff_seconds
        self._close_timeout = close_timeout_seconds
        self._timeout = settings.timeout_seconds
        self._spool = Spool(settings.spool_dir, settings.max_spool_bytes)

        self._cond = threading.Condition()
        self._pending: deque[str] = deque()
        self._first_pending_at = 0.0
        self._flush_waiters = 0
        self._busy = False
        self._closed = False
        self._stopping = False
        self._retry_at = 0.0
        self._backoff = 0.0
        self._written = self._spooled = self._dropped = self._errors = 0
        self._last_error: str | None = None
        self._last_drop: str | None = None
        self._drop_logged_at = -DROP_LOG_EVERY_SECONDS
        self._depth = self._spool.depth
        if self._depth.batches:
            log.info("timeseries: %d spooled batches to replay", self._depth.batches)
        self._thread = threading.Thread(target=self._run, name="timeseries-sink", daemon=True)
        self._thread.start()

    # -- the Sink contract ----------------------------------------------------------------

    def write(self, batch: Sequence[Sample]) -> None:
        """Queue samples; waits only while the in-memory queue is full."""
        if self._closed:
            raise RuntimeError("timeseries sink is closed")
        self._queue(encode(batch, self._settings.measurement, self._tags_for))

    def write_readings(self, messages: Sequence[tuple[str, Sequence[AnyReading]]]) -> None:
        """As :meth:`write` for the samples of these (device id, readings) pairs."""
        if self._closed:
            raise RuntimeError("timeseries sink is closed")
        self._queue(encode_readings(messages, self._settings.measurement, self._tags_for))

    def _queue(self, encoded: Encoded) -> None:
        with self._cond:
            if encoded.skipped:
                self._drop(encoded.skipped, f"{encoded.skipped} samples with a non-finite value")
            lines = encoded.lines
            while self._pending and len(self._pending) + len(lines) > self._max_pending:
                if not self._thread.is_alive():
                    raise RuntimeError("timeseries sink thread has stopped")
                self._cond.wait(1.0)
            if not lines:
                return
            if not self._pending:
                self._first_pending_at = time.monotonic()
            self._pending.extend(lines)
            self._cond.notify_all()

    def flush(self, timeout: float) -> bool:
        """Send now and wait until memory and spool are empty; False after ``timeout`` s."""
        return self._wait(self._delivered, timeout)

    def close(self) -> None:
        """Deliver what can be delivered within the close timeout, spool the rest, stop."""
        if self._closed:
            return
        self._closed = True
        self._wait(self._settled, self._close_timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(self._timeout * (self._retries + 1) + REPLAY_BUDGET_SECONDS + 5)
        self._store.close()

    # -- counters -------------------------------------------------------------------------

    def stats(self) -> SinkStats:
        with self._cond:
            return SinkStats(
                self._written,
                self._spooled,
                self._dropped,
                self._errors,
                len(self._pending),
                self._depth,
                self._last_error,
                self._last_drop,
            )

    @property
    def written_total(self) -> int:
        return self.stats().written_total

    @property
    def spooled_total(self) -> int:
        return self.stats().spooled_total

    @property
    def dropped_total(self) -> int:
        return self.stats().dropped_total

    @property
    def errors_total(self) -> int:
        return self.stats().errors_total

    @property
    def spool_depth(self) -> SpoolDepth:
        return self.stats().spool

    @property
    def last_error(self) -> str | None:
        return self.stats().last_error

    # -- waiting (callers' threads) -------------------------------------------------------

    def _delivered(self) -> bool:
        return not self._pending and not self._busy and self._depth.batches == 0

    def _settled(self) -> bool:
        # everything is either delivered, or safely on disk while the store is down
        idle = not self._pending and not self._busy
        return idle and (self._depth.batches == 0 or self._retry_at > time.monotonic())

    def _wait(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flush_waiters += 1
            self._retry_at = 0.0  # one attempt now, even while backing off
            self._cond.notify_all()
            try:
                while not done():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._thread.is_alive():
                        return False
                    self._cond.wait(min(remaining, 1.0))
                return True
            finally:
                self._flush_waiters -= 1

    # -- the worker thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                if not self._step():
                    return
            except Exception as exc:  # a bug must not stop delivery for good
                log.exception("timeseries sink step failed")
                with self._cond:
                    self._busy = False
                    self._last_error = f"{type(exc).__name__}: {exc}"
                time.sleep(1.0)

    def _due(self, now: float) -> bool:
        if len(self._pending) >= self._settings.batch_size:
            return True
        waited = now - self._first_pending_at >= self._settings.flush_interval_seconds
        return bool(self._pending) and (waited or self._flush_waiters > 0)

    def _replay_due(self, now: float) -> bool:
        return self._depth.batches > 0 and now >= self._retry_at

    def _next_wakeup(self, now: float) -> float:
        wake = 1.0
        if self._pending:
            wake = self._first_pending_at + self._settings.flush_interval_seconds - now
        if self._depth.batches:
            wake = min(wake, self._retry_at - now)
        return min(max(wake, 0.005), 1.0)

    def _step(self) -> bool:
        """One round: take a due batch, send or spool it, replay the spool. False = stop."""
        with self._cond:
            now = time.monotonic()
            while not (self._stopping or self._due(now) or self._replay_due(now)):
                self._cond.wait(self._next_wakeup(now))
                now = time.monotonic()
            stopping = self._stopping
            if stopping:
                take = len(self._pending)
            elif self._due(now):
                take = min(len(self._pending), self._settings.batch_size)
            else:
                take = 0
            rest = [self._pending.popleft() for _ in range(take)]
            store_up = now >= self._retry_at
            self._busy = True
            self._cond.notify_all()
        try:
            if stopping:
                size = self._settings.batch_size
                for i in range(0, len(rest), size):
                    self._to_spool(payload(rest[i : i + size]), len(rest[i : i + size]))
                return False
            if rest and self._depth.batches == 0 and store_up:
                self._deliver(payload(rest), len(rest))
            elif rest:
                self._to_spool(payload(rest), len(rest))
            if self._replay_due(time.monotonic()):
                self._replay()
            return True
        finally:
            with self._cond:
                self._busy = False
                self._depth = self._spool.depth
                self._cond.notify_all()

    def _deliver(self, body: bytes, lines: int) -> None:
        for attempt in range(self._retries + 1):
            if attempt:
                time.sleep(QUICK_RETRY_SECONDS * 2 ** (attempt - 1))
            outcome = self._send(body, lines)
            if outcome is not Outcome.FAILED:
                self._store_up()
                return
        self._to_spool(body, lines)
        self._store_down()

    def _replay(self) -> None:
        deadline = time.monotonic() + REPLAY_BUDGET_SECONDS
        while (item := self._spool.peek()) is not None and time.monotonic() < deadline:
            try:
                body = self._spool.read(item)
            except OSError as exc:
                self._spool.pop()
                with self._cond:
                    self._drop(item.lines, f"unreadable spool file {item.path}: {exc}")
                continue
            if self._send(body, item.lines) is Outcome.FAILED:
                self._store_down()
                return
            self._spool.pop()
            self._store_up()
            with self._cond:
                self._depth = self._spool.depth

    def _send(self, body: bytes, lines: int) -> Outcome:
        result = self._store.send(body)
        with self._cond:
            if result.outcome is Outcome.OK:
                self._written += lines
                return result.outcome
            self._errors += 1
            if result.outcome is Outcome.REJECTED:
                self._drop(lines, f"store rejected a batch, {result.error}")
            else:
                self._last_error = result.error
        return result.outcome

    def _to_spool(self, body: bytes, lines: int) -> None:
        try:
            stored, dropped = self._spool.push(body, lines)
        except OSError as exc:
            stored, dropped = False, lines
            reason = f"spool write failed: {exc}"
        else:
            limit = f"spool limit {self._spool.max_bytes} bytes"
            reason = f"{limit}: oldest batches deleted" if stored else f"batch over the {limit}"
        with self._cond:
            if stored:
                self._spooled += lines
            if dropped:
                self._drop(dropped, reason)
            self._depth = self._spool.depth

    def _drop(self, lines: int, reason: str) -> None:
        """Count dropped samples and say so, once a minute at most (caller holds the lock)."""
        self._dropped += lines
        self._last_error = self._last_drop = reason
        now = time.monotonic()
        if now - self._drop_logged_at >= DROP_LOG_EVERY_SECONDS:
            self._drop_logged_at = now
            log.error(
                "timeseries: dropped %d samples (%d in total): %s", lines, self._dropped, reason
            )

    def _store_down(self) -> None:
        with self._cond:
            if not self._backoff:
                log.warning("timeseries store unreachable, spooling: %s", self._last_error)
            self._backoff = min(self._max_backoff, 2 * self._backoff or FIRST_BACKOFF_SECONDS)
            self._retry_at = time.monotonic() + self._backoff

    def _store_up(self) -> None:
        with self._cond:
            if self._backoff:
                log.info("timeseries store reachable again")
            self._backoff = 0.0
            self._retry_at = 0.0
