"""Read back a message written by :meth:`contract.wire.Telemetry.to_json` (or by the schema's
own ``to_json``) into the agent's dataclasses: the demo's simulated fleet hands its messages to
the agent's publisher this way, and the tests check the round trip. Trusted input only:
nothing is validated here (the collector validates with :mod:`contract.schema`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from contract.wire import (
    PowerState,
    Quality,
    Reading,
    SleepSettings,
    SleepStates,
    SleptInterval,
    StateBlock,
    Telemetry,
)


def _ts(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def _opt_ts(value: object) -> datetime | None:
    return None if value is None else _ts(value)


def _state_from(doc: dict[str, Any]) -> StateBlock:
    settings, states = doc.get("sleep_settings"), doc.get("sleep_states")
    return StateBlock(
        power_state=PowerState(doc["power_state"]),
        ts=_opt_ts(doc.get("ts")),
        idle_seconds=doc.get("idle_seconds"),
        boot_time=_opt_ts(doc.get("boot_time")),
        on_battery=doc.get("on_battery"),
        sleep_settings=None if settings is None else SleepSettings(**settings),
        sleep_blockers=list(doc.get("sleep_blockers", [])),
        sleep_blockers_known=doc.get("sleep_blockers_known"),
        sleep_states=None if states is None else SleepStates(**states),
        slept=[SleptInterval(_ts(i["start"]), _ts(i["end"])) for i in doc.get("slept", [])],
    )


def telemetry_from_json(payload: bytes) -> Telemetry:
    """The agent's dataclasses from a schema-v1 telemetry document."""
    doc = json.loads(payload)
    state = doc.get("state")
    return Telemetry(
        device_id=doc["device_id"],
        seq=doc["seq"],
        sent_at=_ts(doc["sent_at"]),
        epoch=doc.get("epoch"),
        kind=doc.get("kind"),
        readings=[
            Reading(
                ts=_ts(r["ts"]),
                metric=r["metric"],
                value=r["value"],
                source=r["source"],
                quality=Quality(r["quality"]),
                component=r.get("component"),
            )
            for r in doc.get("readings", [])
        ],
        state=None if state is None else _state_from(state),
        signature=doc.get("signature"),
    )
