"""``veille-collector test-alerts``: send one test event through every configured channel, now.

Channels are called directly (no queue, no retry, nothing recorded in ``alert_deliveries``) so
that each one's outcome is printed at once. The event is a repeat-offender violation of the
device ``veille-test``; stateful channels (Alertmanager, the gauge) get its resolution right
after, so the test leaves no open alert behind.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from collector.alerts.errors import DeliveryError
from collector.alerts.events import AlertEvent, AlertKind, Batch, Severity, violation_key
from collector.alerts.wiring import build_dispatcher
from collector.config import CollectorConfig


@dataclass(frozen=True, slots=True)
class Outcome:
    channel: str
    error: str | None  # None: delivered


def sample_event(now: datetime) -> AlertEvent:
    window = now.replace(second=0, microsecond=0) - timedelta(hours=1)
    return AlertEvent(
        kind=AlertKind.VIOLATION_REPEATED,
        key=violation_key("veille-test", window),
        device_id="veille-test",
        domain="test",
        site="test",
        group="test",
        severity=Severity.INFO,
        summary="Test alert from veille-collector test-alerts",
        description="Sent on request to check this channel; nothing to do.",
        starts_at=window,
        repeat_offender=True,
        windows_in_row=3,
    )


def send_test(cfg: CollectorConfig, now: datetime | None = None) -> list[Outcome]:
    """Send the test event through each channel of ``cfg``; one outcome per channel."""
    now = now or datetime.now(UTC)
    event = sample_event(now)
    done = replace(event, kind=AlertKind.VIOLATION_RESOLVED, ends_at=now)
    dispatcher = build_dispatcher(cfg, CollectorRegistry(), None)
    out = []
    for name, worker in dispatcher.workers.items():
        channel = worker.channel
        try:
            channel.send(Batch((event,)))
            if channel.stateful:
                channel.send(Batch((done,)))
            out.append(Outcome(name, None))
        except DeliveryError as exc:
            out.append(Outcome(name, str(exc)))
        finally:
            close = getattr(channel, "close", None)
            if callable(close):
                close()
    return out
