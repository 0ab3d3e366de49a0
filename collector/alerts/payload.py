"""The JSON form of alert events and digests, shared by the webhook and the MQTT topic.

Version 1: ``{"schema": 1, "kind": ..., "key": ..., "state": ..., "device_id": ...,
"starts_at": ISO 8601 UTC, "ends_at": ... | null, "labels": {...}, ...}``; a digest is
``{"schema": 1, "digest": {"scope", "name", "day", "count"}, "events": [...]}``.
"""

from __future__ import annotations

from collector.alerts.events import AlertEvent, Batch

SCHEMA = 1


def event_json(e: AlertEvent) -> dict[str, object]:
    return {
        "schema": SCHEMA,
        "kind": str(e.kind),
        "key": e.key,
        "state": e.state,
        "severity": str(e.severity),
        "device_id": e.device_id,
        "datacentre": e.datacentre,
        "domain": e.domain,
        "site": e.site,
        "group": e.group,
        "summary": e.summary,
        "description": e.description,
        "starts_at": e.starts_at.isoformat(),
        "ends_at": e.ends_at.isoformat() if e.ends_at else None,
        "repeat_offender": e.repeat_offender,
        "windows_in_row": e.windows_in_row,
        "labels": dict(e.labels),
    }


def batch_json(batch: Batch) -> dict[str, object]:
    body: dict[str, object] = {
        "schema": SCHEMA,
        "events": [event_json(e) for e in batch.events],
    }
    if batch.digest is not None:
        d = batch.digest
        body["digest"] = {"scope": d.scope, "name": d.name, "day": d.day, "count": len(d.events)}
    return body
