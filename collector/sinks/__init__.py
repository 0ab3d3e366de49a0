"""Sinks: where the collector sends every stored sample besides the ledger.

A sink takes batches of :class:`collector.model.Sample` (SI values, UTC timestamps) and owns
its own buffering, retries and drop counters.
Each implementation is imported only when configured, so the ledger-only quickstart needs no
time-series client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from collector.model import Sample
from collector.wire import AnyReading


class Sink(Protocol):
    """The contract every sink meets."""

    def write(self, batch: Sequence[Sample]) -> None:
        """Queue a batch; returns quickly, never drops silently."""
        ...

    def write_readings(self, messages: Sequence[tuple[str, Sequence[AnyReading]]]) -> None:
        """As :meth:`write` for the samples of these (device id, readings) pairs."""
        ...

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far is delivered; False if ``timeout`` s passed."""
        ...

    def close(self) -> None:
        """Deliver or persist what is queued, then release the connection."""
        ...


__all__ = ["Sink"]
