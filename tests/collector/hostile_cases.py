"""Messages for the hostile-input tests: one valid agent message, and ways to spoil it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from contract.schema import (
    PowerState,
    Quality,
    Reading,
    SleepSettings,
    SleepStates,
    SleptInterval,
    StateBlock,
    Telemetry,
)

NOW = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
TOPIC = "veille/v1/mairie/pc-1/telemetry"


def good_message(seq: int = 1, at: datetime = NOW, device: str = "pc-1") -> Telemetry:
    """A message as a laptop agent writes it after a short sleep."""
    return Telemetry(
        device_id=device,
        seq=seq,
        sent_at=at,
        kind="laptop",
        readings=[
            Reading(
                ts=at - timedelta(seconds=5),
                metric="power_watts",
                value=12.5,
                source="rapl",
                quality=Quality.MEASURED,
                component="package-0",
            ),
            Reading(
                ts=at - timedelta(seconds=5),
                metric="uptime_seconds",
                value=86_400.0,
                source="os",
                quality=Quality.MEASURED,
            ),
        ],
        state=StateBlock(
            power_state=PowerState.RESUMED,
            ts=at - timedelta(seconds=5),
            idle_seconds=12.0,
            boot_time=at - timedelta(days=1),
            on_battery=False,
            sleep_settings=SleepSettings(sleep_ac_seconds=1800, display_ac_seconds=600),
            sleep_blockers=["system:process"],
            sleep_states=SleepStates(
                available=["s3"], unavailable={"hibernate": "The hiberfile is not enabled."}
            ),
            slept=[SleptInterval(start=at - timedelta(hours=2), end=at - timedelta(hours=1))],
        ),
    )


def good_doc(seq: int = 1, at: datetime = NOW) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(good_message(seq, at).to_json())
    return doc


def iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def dump(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()
