"""Ledger tables (SQLAlchemy Core). SQLite by default, PostgreSQL at scale.

Units: ``value`` in the unit its metric names (W, J, s); ``kwh`` in kWh; times are UTC
(stored timezone-aware where the backend can, read back as UTC by :mod:`collector.ledger.store`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

Ts = DateTime(timezone=True)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(128), primary_key=True),
    Column("site", String(128)),
    Column("kind", String(32)),
    Column("first_seen", Ts),
    Column("last_seen", Ts),
    Column("online", Boolean),
    Column("status_at", Ts),
    Column("power_state", String(32)),
    Column("idle_seconds", Float),
    Column("on_battery", Boolean),
    Column("sleep_settings", JSON),
    Column("sleep_blockers", JSON),
    Column("sleep_states", JSON),  # migration 0011
    Column("last_seq", BigInteger),
    Column("epoch", String(64)),  # the agent epoch of the newest message ("" for none)
    Column("clock_skew_seconds", Float),
    Column("messages", BigInteger, nullable=False, server_default="0"),
)

messages = Table(
    "messages",
    metadata,
    Column("device_id", String(128), primary_key=True),
    Column("epoch", String(64), primary_key=True, server_default=""),  # "" for none (old agents)
    Column("seq", BigInteger, primary_key=True),
    Column("received_at", Ts, nullable=False),
    Column("content_hash", String(64)),  # sha256 of the payload, hex; NULL before revision 0003
)

samples = Table(
    "samples",
    metadata,
    Column(
        "id", Integer().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=True
    ),
    Column("device_id", String(128), nullable=False),
    Column("ts", Ts, nullable=False),
    Column("metric", String(80), nullable=False),
    Column("component", String(64)),
    Column("value", Float, nullable=False),
    Column("source", String(40), nullable=False),
    Column("quality", String(16), nullable=False),
)
Index("ix_samples_device_ts", samples.c.device_id, samples.c.ts)

states = Table(
    "states",
    metadata,
    Column(
        "id", Integer().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=True
    ),
    Column("device_id", String(128), nullable=False),
    Column("ts", Ts, nullable=False),
    Column("power_state", String(32), nullable=False),
    Column("idle_seconds", Float),
    Column("blockers", JSON),
    Column("slept", JSON),
)
Index("ix_states_device_ts", states.c.device_id, states.c.ts)

hourly_energy = Table(
    "hourly_energy",
    metadata,
    Column("device_id", String(128), primary_key=True),
    Column("hour", Ts, primary_key=True),
    Column("kwh", Float, nullable=False),
    Column("coverage", Float, nullable=False),
    Column("measured_kwh", Float, nullable=False),
    Column("estimated_kwh", Float, nullable=False),
    Column("source", String(40)),
    Column("resets", Integer, nullable=False, server_default="0"),
    # Where in the hour the data is, and kWh per 5-minute slot (collector.analysis.coverage
    # codecs); NULL for rows from before revision 0004_hourly_coverage.
    Column("covered", Text),
    Column("slot_kwh", Text),
)
Index("ix_hourly_hour", hourly_energy.c.hour)

# Daily roll-up of hourly_energy per device and *local* civil day (the policy time zone), kept
# by collector.ledger.daily whenever hourly rows are replaced; reports read it with GROUP BY.
daily_energy = Table(
    "daily_energy",
    metadata,
    # day first: a period's rows are one contiguous range of the key (clustered on SQLite)
    Column("day", Date, primary_key=True),
    Column("device_id", String(128), primary_key=True),
    Column("kwh", Float, nullable=False),
    Column("measured_kwh", Float, nullable=False),
    Column("estimated_kwh", Float, nullable=False),
    Column("coverage_hours", Float, nullable=False),
    Column("hours", Integer, nullable=False),
    sqlite_with_rowid=False,
)

violations = Table(
    "violations",
    metadata,
    Column("device_id", String(128), primary_key=True),
    Column("window_start", Ts, primary_key=True),
    Column("window_end", Ts, nullable=False),
    Column("first_seen", Ts, nullable=False),
    Column("last_seen", Ts, nullable=False),
    Column("max_idle_seconds", Float),
    Column("awake_seconds", Float),
    Column("blockers", JSON),
    Column("target_state", String(8)),
    Column("evidence", Text),
    Column("resolved_at", Ts),
    Column("state", String(10), nullable=False, server_default="open"),
    Column("streak", Integer, nullable=False, server_default="1"),
    Column("observations", Integer, nullable=False, server_default="0"),
    Column("policy_group", String(64), nullable=False, server_default=""),
    Column("opened_at", Ts),
    Column("changed_at", Ts),
)
Index("ix_violations_state", violations.c.state)

violation_events = Table(
    "violation_events",
    metadata,
    Column(
        "id", Integer().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=True
    ),
    Column("device_id", String(128), nullable=False),
    Column("window_start", Ts, nullable=False),
    Column("at", Ts, nullable=False),
    Column("state", String(10), nullable=False),
    Column("previous", String(10)),
    Column("detail", Text, nullable=False, server_default=""),
)
Index("ix_violation_events_at", violation_events.c.at)
Index("ix_violation_events_key", violation_events.c.device_id, violation_events.c.window_start)

policy_windows = Table(
    "policy_windows",
    metadata,
    Column("device_id", String(128), primary_key=True),
    Column("window_start", Ts, primary_key=True),
    Column("window_end", Ts, nullable=False),
    Column("policy_group", String(64), nullable=False),
    Column("status", String(10), nullable=False),
    Column("kwh_wasted", Float, nullable=False, server_default="0"),
    Column("wasted_quality", String(16), nullable=False, server_default="estimated"),
    Column("kwh_avoided", Float, nullable=False, server_default="0"),
    Column("slept_seconds", Float, nullable=False, server_default="0"),
)
Index("ix_policy_windows_start", policy_windows.c.window_start)
# covering indexes of the compliance tallies (collector/ledger/compliance.py, migration 0012)
_TALLIED = ("status", "window_end", "wasted_quality", "kwh_wasted", "kwh_avoided")
Index(
    "ix_policy_windows_device_tally",
    *(policy_windows.c[n] for n in ("policy_group", "device_id", *_TALLIED)),
)
Index(
    "ix_policy_windows_night_tally",
    *(policy_windows.c[n] for n in ("policy_group", "window_start", *_TALLIED)),
)

exemptions = Table(
    "exemptions",
    metadata,
    Column(
        "id", Integer().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=True
    ),
    Column("target", String(128), nullable=False),
    Column("is_group", Boolean, nullable=False),
    Column("until", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_by", String(128), nullable=False),
    Column("recorded_at", Ts, nullable=False),
)
Index("ix_exemptions_target", exemptions.c.target)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column(
        "id", Integer().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=True
    ),
    Column("received_at", Ts, nullable=False),
    Column("topic", String(512), nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),  # the first bytes only: see payload_bytes
    Column("payload_bytes", BigInteger),  # size as received; NULL on rows kept whole (before 0005)
)
Index("ix_dead_letters_received_at", dead_letters.c.received_at)


def utc(value: datetime) -> datetime:
    """Tag a naive datetime read back from SQLite as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("key", String(320), primary_key=True),
    Column("state", String(16), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("delivered_at", Ts, nullable=False),
)

imported_energy = Table(
    "imported_energy",
    metadata,
    Column(
        "id", Integer().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=True
    ),
    Column("datacentre", String(128), nullable=False),
    Column("period_start", Ts, nullable=False),
    Column("period_end", Ts, nullable=False),
    Column("facility_kwh", Float, nullable=False),
    Column("it_kwh", Float, nullable=False),
    Column("renewable_kwh", Float),
    Column("reused_kwh", Float),
    Column("operator", String(128), nullable=False),
    Column("file", String(512), nullable=False),
    Column("line", Integer, nullable=False),
    Column("imported_at", Ts, nullable=False),
)
Index(
    "ux_imported_energy_period",
    imported_energy.c.datacentre,
    imported_energy.c.period_start,
    imported_energy.c.period_end,
    unique=True,
)

# Configuration violations (collector.analysis.config_lifecycle): identity (device, rule,
# opened_at); at most one open per (device, rule). Their changes of state are events.
config_violations = Table(
    "config_violations",
    metadata,
    Column("device_id", String(128), primary_key=True),
    Column("rule", String(32), primary_key=True),
    Column("opened_at", Ts, primary_key=True),
    Column("state", String(10), nullable=False),
    Column("evidence", Text, nullable=False, server_default=""),
    Column("policy_group", String(64), nullable=False, server_default=""),
    Column("changed_at", Ts, nullable=False),
    Column("resolved_at", Ts),
)
Index("ix_config_violations_state", config_violations.c.state)

config_violation_events = Table(
    "config_violation_events",
    metadata,
    Column(
        "id", Integer().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=True
    ),
    Column("device_id", String(128), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("opened_at", Ts, nullable=False),
    Column("at", Ts, nullable=False),
    Column("state", String(10), nullable=False),
    Column("previous", String(10)),
    Column("detail", Text, nullable=False, server_default=""),
)
Index("ix_config_violation_events_at", config_violation_events.c.at)
