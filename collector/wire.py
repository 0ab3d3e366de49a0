"""Telemetry as the collector's fast path reads it (msgspec), beside the pydantic models.

:mod:`contract.schema` is the source of truth for the wire schema; these types hold the same
fields with the same names and types, so the ledger, the bounds and the sinks read either
without knowing which (``Message``). The state block, one small object a message, stays the
schema's own pydantic ``StateBlock``; only the envelope and its readings (50 a message, the
hot part) are msgspec. ``tests/collector/test_fast_path.py`` checks field for field that these
structs and the pydantic models agree, and that both paths give the same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import msgspec

from contract.schema import Quality, Reading, StateBlock, Telemetry


class WireReading(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One reading, as :class:`contract.schema.Reading` (the string checks are in
    :mod:`collector.ingest.fast`: msgspec's patterns are Python ``re.search``, not the
    schema's anchored Rust regex). Not tracked by the garbage collector (``gc=False``): it
    holds only scalars, so it can be in no cycle, and 50 of them a message would otherwise
    count toward every collection."""

    ts: datetime
    metric: str
    value: float
    source: str
    quality: Quality
    component: str | None = None


@dataclass(frozen=True, slots=True)
class WireTelemetry:
    """One telemetry message, as :class:`contract.schema.Telemetry` (same attribute names)."""

    device_id: str
    seq: int
    sent_at: datetime
    readings: list[WireReading]
    state: StateBlock | None = None
    epoch: str | None = None
    kind: str | None = None
    schema_version: int = 1
    signature: str | None = None

    @property
    def observed_at(self) -> datetime:
        """As :attr:`contract.schema.Telemetry.observed_at`."""
        if self.state is not None and self.state.ts is not None:
            return self.state.ts
        return max((r.ts for r in self.readings), default=self.sent_at)


Message = Telemetry | WireTelemetry
"""A validated telemetry message, from either path."""

AnyReading = Reading | WireReading
