"""Alert events for the tests, built the way the ledger's life cycle will build them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from collector.alerts.events import AlertEvent, AlertKind, Severity, violation_key

WINDOW = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # Monday 19:30 in Paris


def opened(
    device_id: str = "PC-ACCUEIL-01",
    *,
    window_start: datetime = WINDOW,
    site: str = "hotel-de-ville",
    domain: str = "Environnement utilisateur",
    group: str = "workstations",
    windows_in_row: int = 1,
    repeat_threshold: int = 3,
    description: str = "awake and idle 19:52–23:10, blocker: Teams call",
) -> AlertEvent:
    repeat = windows_in_row >= repeat_threshold
    return AlertEvent(
        kind=AlertKind.VIOLATION_REPEATED if repeat else AlertKind.VIOLATION_OPENED,
        key=violation_key(device_id, window_start),
        device_id=device_id,
        domain=domain,
        site=site,
        group=group,
        severity=Severity.WARNING,
        summary=f"{device_id} stayed awake in the evening window",
        description=description,
        starts_at=window_start + timedelta(minutes=22),
        repeat_offender=repeat,
        windows_in_row=windows_in_row,
    )


def resolved(event: AlertEvent, at: datetime | None = None) -> AlertEvent:
    return replace(
        event,
        kind=AlertKind.VIOLATION_RESOLVED,
        ends_at=at or event.starts_at + timedelta(days=1),
        summary=f"{event.device_id} slept in the next window",
    )


def pue_above(datacentre: str = "dc-a", pue: float = 1.92, limit: float = 1.6) -> AlertEvent:
    return AlertEvent(
        kind=AlertKind.PUE_ABOVE_LIMIT,
        key=f"pue:{datacentre}:2026-11-30",
        datacentre=datacentre,
        domain="Environnement serveur",
        site="hotel-de-ville",
        group="datacentre",
        severity=Severity.WARNING,
        summary=f"PUE {pue:.2f} above its limit {limit:.2f} on 2026-11-30",
        description="facility 1 920 kWh / IT 1 000 kWh, category 1 (UPS output)",
        starts_at=datetime(2026, 11, 30, tzinfo=UTC),
    )


def silent(device_id: str = "SRV-APP-01") -> AlertEvent:
    return AlertEvent(
        kind=AlertKind.DEVICE_SILENT,
        key=f"silent:{device_id}:2026-11-30T10:00:00+00:00",
        device_id=device_id,
        domain="Environnement serveur",
        site="hotel-de-ville",
        group="servers",
        severity=Severity.CRITICAL,
        summary=f"{device_id} has sent nothing for 2 h",
        description="last message 2026-11-30 11:00 local time",
        starts_at=datetime(2026, 11, 30, 10, tzinfo=UTC),
    )
