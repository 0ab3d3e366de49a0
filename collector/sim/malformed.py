"""Bad MQTT messages for the demo: what a broken or hostile agent might publish.

Each entry is (topic, payload bytes, a keyword the collector's rejection reason contains), so
the demo can show that every one lands in the dead-letter store with its reason.
"""

from __future__ import annotations

import json
from datetime import datetime

from contract.schema import Quality, Reading, Telemetry, topic, utcnow

BAD_DEVICE = "hdv-pc-999"


def _telemetry(device_id: str, ts: datetime, value: float, seq: int) -> Telemetry:
    reading = Reading(
        ts=ts, metric="power_watts", value=value, source="model", quality=Quality.ESTIMATED
    )
    return Telemetry(device_id=device_id, seq=seq, sent_at=ts, kind="desktop", readings=[reading])


def malformed_payloads(
    site: str = "hotel-de-ville", *, now: datetime | None = None
) -> list[tuple[str, bytes, str]]:
    """(topic, payload, expected reason keyword) for a handful of invalid messages."""
    now = now or utcnow()
    where = topic(site, BAD_DEVICE, "telemetry")
    good = json.loads(_telemetry(BAD_DEVICE, now, 61.5, 1).to_json())
    newer = {**good, "schema": 2, "seq": 2}
    no_unit = {**good, "seq": 3, "readings": [{**good["readings"][0], "metric": "power"}]}
    other = {**good, "seq": 4, "device_id": "hdv-pc-998"}
    return [
        (where, b'{"schema": 1, "device_id": "hdv-pc-999", "seq": 1, "sent_at": ', "JSON"),
        (where, _telemetry(BAD_DEVICE, now, -42.0, 5).to_json(), "negative"),
        (where, json.dumps(newer).encode(), "newer"),
        (where, json.dumps(no_unit).encode(), "unit"),
        (where, json.dumps(other).encode(), "differs"),
    ]
