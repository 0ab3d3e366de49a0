"""The operator's one-shot commands: check-config, dead-letters, report, test-alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collector.config import CollectorConfig, load_config
from collector.inventory import load_inventory
from collector.ledger import Ledger
from collector.redact import mask_url
from collector.startup import check_startup


def check_config(path: Path | None) -> int:
    """Validate the config and its inventory; ConfigError (naming keys) propagates."""
    cfg = load_config(path)
    inv = load_inventory(cfg.inventory)
    profiles = check_startup(cfg, inv)
    broker = "embedded (amqtt)" if cfg.mqtt.embedded else f"{cfg.mqtt.host}:{cfg.mqtt.port}"
    print(f"config OK: {path or '(defaults)'}")
    print(f"  MQTT broker: {broker}, protocol {cfg.mqtt.protocol}")
    print(f"  ledger: {mask_url(cfg.ledger.url)}")
    print(f"  time series: {mask_url(cfg.timeseries.url) if cfg.timeseries.url else 'off'}")
    print(f"  SNMP targets: {len(cfg.snmp.targets)} (shard {cfg.snmp.shard}/{cfg.snmp.shards})")
    print(f"  SNMP profiles: {len(profiles)} loaded")
    print(f"  inventory: {len(inv)} devices from {cfg.inventory or '(none)'}")
    print(f"  alert channels: {', '.join(alert_channels(cfg))}")
    return 0


def alert_channels(cfg: CollectorConfig) -> list[str]:
    a = cfg.alerts
    names = [n for n in ("email", "webhook", "alertmanager", "mqtt") if getattr(a, n) is not None]
    return [*names, "gauge"] if a.gauge else names or ["none"]


def check_alerts(path: Path | None) -> int:
    """Send a test alert through every configured channel; 1 if one of them failed."""
    from collector.alerts.check import send_test

    cfg = load_config(path)
    outcomes = send_test(cfg)
    if not outcomes:
        print("no alert channel configured ([alerts] in the config)")
        return 2
    for o in outcomes:
        print(f"{o.channel}: {'delivered' if o.error is None else 'FAILED: ' + o.error}")
    return 1 if any(o.error for o in outcomes) else 0


def dead_letters(path: Path | None, limit: int, as_json: bool) -> int:
    cfg = load_config(path)
    ledger = Ledger(cfg.ledger.url)
    ledger.migrate()
    rows = ledger.dead_letters(limit)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "received_at": r.received_at.isoformat(),
                        "topic": r.topic,
                        "reason": r.reason,
                        "payload": r.payload.decode("utf-8", "replace"),
                        "payload_bytes": r.payload_bytes,
                        "truncated": r.truncated,
                    }
                    for r in rows
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not rows:
        print("no dead letters")
    for r in rows:
        preview = r.payload[:80].decode("utf-8", "replace")
        size = f"{r.payload_bytes} bytes" + (
            f", first {len(r.payload)} kept" if r.truncated else ""
        )
        print(
            f"#{r.id} {r.received_at:%Y-%m-%d %H:%M:%S}Z {r.topic}\n    reason: {r.reason}\n"
            f"    payload ({size}): {preview!r}"
        )
    return 0


def devices(path: Path | None, as_json: bool) -> int:
    """Every device the collector has heard of: status, last seen, clock skew, domain."""
    cfg = load_config(path)
    inv = load_inventory(cfg.inventory)
    ledger = Ledger(cfg.ledger.url)
    ledger.migrate()
    records = ledger.devices()
    if as_json:
        rows = [
            {
                "device_id": r.device_id,
                "domain": inv.domain_of(r.device_id),
                "in_inventory": inv.get(r.device_id) is not None,
                "online": r.online,
                "last_seen": r.last_seen.isoformat() if r.last_seen else None,
                "power_state": r.power_state,
                "messages": r.messages,
                "clock_skew_seconds": r.clock_skew_seconds,
            }
            for r in records
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(f"{'device':28} {'online':7} {'last seen (UTC)':20} {'state':9} {'skew s':>8}  domain")
    for r in records:
        online = {True: "yes", False: "no", None: "?"}[r.online]
        seen = f"{r.last_seen:%Y-%m-%d %H:%M:%S}" if r.last_seen else ""
        skew = "" if r.clock_skew_seconds is None else f"{r.clock_skew_seconds:8.1f}"
        domain = inv.domain_of(r.device_id) + ("" if inv.get(r.device_id) else " (unassigned)")
        print(f"{r.device_id:28} {online:7} {seen:20} {r.power_state or '':9} {skew:>8}  {domain}")
    return 0


def report(path: Path | None, output: Path, days: float) -> int:
    from collector.jobs import recompute
    from collector.report import write_reports

    cfg = load_config(path)
    inv = load_inventory(cfg.inventory)
    ledger = Ledger(cfg.ledger.url)
    ledger.migrate()
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    recompute(ledger, inv, cfg, start=start, end=end, now=end)
    files = write_reports(ledger, inv, cfg, start=start, end=end, output=output)
    for f in files:
        print(f"wrote {f}")
    return 0
