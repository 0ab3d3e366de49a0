"""Alertmanager delivery: POST /api/v2/alerts, with startsAt and endsAt.

An open alert is posted with ``endsAt`` = now + ``ttl_seconds`` and is kept alive by
:meth:`~collector.alerts.dispatcher.Dispatcher.refresh` on every analysis run (as Prometheus
does), so an alert whose collector died ends by itself. A resolution posts the same labels with
``endsAt`` = the time the device complied, which resolves the alert at once. Alertmanager
deduplicates by labels, so posting an open alert again never notifies twice; for the same
reason a resolution must carry exactly the labels of the alert it ends (severity included),
or it is another alert and the open one stays.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from collector.alerts.events import AlertEvent, Batch
from collector.alerts.http import post_json

CHUNK = 500  # alerts per POST


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


class AlertmanagerChannel:
    """Posts alert events to an Alertmanager (API v2) at ``url``."""

    name = "alertmanager"
    stateful = True

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = 1800.0,
        timeout_seconds: float = 10.0,
        generator_url: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.url = url.rstrip("/") + "/api/v2/alerts"
        self.ttl = timedelta(seconds=ttl_seconds)
        self.timeout = timeout_seconds
        self.generator_url = generator_url
        self._clock = clock

    def payload(self, event: AlertEvent) -> dict[str, object]:
        """One alert of the API v2 body."""
        labels = {"alertname": event.alert_name, "severity": str(event.severity)}
        labels.update(event.label_map())
        if event.kind.startswith(("violation_", "config_violation_")):
            labels["violation"] = event.key
        ends = event.ends_at or max(self._clock(), event.starts_at) + self.ttl
        alert: dict[str, object] = {
            "labels": labels,
            "annotations": {
                "summary": event.summary,
                "description": event.description,
                "kind": str(event.kind),
                "repeat_offender": "true" if event.repeat_offender else "false",
                "windows_in_row": str(event.windows_in_row),
            },
            "startsAt": _iso(event.starts_at),
            "endsAt": _iso(ends),
        }
        if self.generator_url:
            alert["generatorURL"] = self.generator_url
        return alert

    def send(self, batch: Batch) -> None:
        # A refresh carries every open violation: post it in bounded requests.
        events = batch.events
        for i in range(0, len(events), CHUNK):
            body = [self.payload(e) for e in events[i : i + CHUNK]]
            post_json(self.name, self.url, body, timeout=self.timeout)
