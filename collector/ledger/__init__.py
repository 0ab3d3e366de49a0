"""The energy ledger: device state, raw samples, hourly kWh, violations and dead letters."""

from collector.ledger.store import Ledger

__all__ = ["Ledger"]
