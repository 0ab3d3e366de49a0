"""The collector's configuration: one TOML file, checked at start-up, secrets from the environment.

Every key is documented in ``deploy/collector.example.toml``. Defaults are the embedded
quickstart: an in-process MQTT broker, a SQLite ledger next to the working directory, and no
time-series store.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import Field, SecretStr, field_validator, model_validator

from collector.alerts.settings import AlertsSettings
from collector.report_settings import BaselineSettings, ReportSettings
from contract.mqtt import TlsSettings
from contract.schema import IDENT_PATTERN
from contract.settings import Section, VeilleSettings, load_settings

Port = int


class MqttSettings(Section):
    embedded: bool = Field(True, description="Start an in-process MQTT 3.1.1 broker.")
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    tls: TlsSettings | None = None
    client_id: str = "veille-collector"
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    shared_group: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]+$", description="MQTT v5 shared subscription group."
    )
    qos: Literal[0, 1] = 1
    broker_drops: bool = Field(
        True,
        description="Export Mosquitto's $SYS/broker/publish/messages/dropped on /metrics "
        "(the collector's broker user needs read access to it).",
    )
    receive_maximum: int = Field(
        2000,
        ge=1,
        le=65535,
        description="MQTT v5: QoS 1 messages the broker may send before the collector has "
        "stored and acknowledged them (3.1.1: the broker's max_inflight_messages decides).",
    )
    max_payload_bytes: int = Field(1_048_576, ge=1024)
    max_clock_skew_seconds: float = Field(300.0, gt=0)
    max_backlog_days: float = Field(30.0, gt=0)
    signing_keys_dir: Path | None = Field(
        None,
        description="One <device_id>.key per device that signs its messages (HMAC; README, "
        "'No one speaks for another device'); such a device's unsigned or wrongly signed "
        "messages are dead letters. Unset: no device signs.",
    )

    @model_validator(mode="after")
    def _shared_needs_v5(self) -> MqttSettings:
        if self.shared_group and self.protocol != "5":
            raise ValueError('shared_group needs protocol = "5" (MQTT v5 shared subscriptions)')
        return self


class LedgerSettings(Section):
    url: str = Field("sqlite:///veille.sqlite", description="SQLAlchemy URL: sqlite or postgresql")
    writer_process: bool = Field(
        False,
        description="Write telemetry to the ledger from a process of its own, so that the "
        "database work runs on another core than MQTT and validation (README, 'Scaling out').",
    )
    batch_messages: int = Field(
        2000,
        ge=1,
        le=20_000,
        description="Messages stored in one ledger transaction at most. With writer_process, "
        "three batches are in hand at once (validated, committing, acknowledging): the MQTT "
        "window (mqtt.receive_maximum, or Mosquitto's max_inflight_messages) should hold "
        "three, or the writer waits for the broker.",
    )

    @field_validator("url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite://", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        return url


class TimeseriesSettings(Section):
    url: str | None = Field(None, description="InfluxDB 2/3 or VictoriaMetrics base URL")
    token: SecretStr = SecretStr("")
    org: str = "veille"
    bucket: str = "veille"
    measurement: str = Field("veille", pattern=r"^[a-z][a-z0-9_]*$")
    batch_size: int = Field(5000, ge=1, le=100_000)
    flush_interval_seconds: float = Field(1.0, gt=0)
    spool_dir: Path = Field(
        Path("veille-spool/timeseries"),
        description="Where batches wait on disk while the store is down (relative: to the "
        "working directory).",
    )
    max_spool_bytes: int = Field(256 * 1024 * 1024, ge=4096, description="Disk the spool may use.")
    max_pending_lines: int | None = Field(
        None, ge=1, description="Lines held in memory before spooling; default 4 x batch_size."
    )
    timeout_seconds: float = Field(5.0, gt=0, le=300, description="One write request.")
    retries: int = Field(2, ge=0, le=10, description="Immediate retries before spooling.")
    max_backoff_seconds: float = Field(10.0, gt=0, le=3600)


ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _secrets_from_env(data: object, names: tuple[str, ...]) -> object:
    """Replace each ``<name>_env`` key by ``<name>``, read from that environment variable.

    One target at a time: ``auth_key_env = "PDU_A_SNMP_AUTH"`` keeps the key out of the file.
    A key given both ways, or a variable that is not set, fails naming the key.
    """
    if not isinstance(data, dict):
        return data
    data = dict(data)
    for name in names:
        env = data.pop(f"{name}_env", None)
        if env is None:
            continue
        if not isinstance(env, str) or not re.match(ENV_NAME, env):
            raise ValueError(f"{name}_env: {env!r} is not an environment variable name")
        if name in data:
            raise ValueError(f"set {name} or {name}_env, not both")
        value = os.environ.get(env)
        if not value:
            raise ValueError(f"{name}_env: environment variable {env} is not set")
        data[name] = value
    return data


class SnmpV3(Section):
    """SNMPv3 authPriv. Each key can come from the environment instead: ``auth_key_env`` and
    ``priv_key_env`` name the variable to read it from."""

    user: str
    auth_key: SecretStr
    priv_key: SecretStr
    auth_protocol: Literal["SHA", "SHA256", "SHA512", "MD5"] = "SHA"
    priv_protocol: Literal["AES", "AES192", "AES256", "DES"] = "AES"

    @model_validator(mode="before")
    @classmethod
    def _keys_from_env(cls, data: object) -> object:
        return _secrets_from_env(data, ("auth_key", "priv_key"))


class SnmpTarget(Section):
    device_id: str = Field(pattern=IDENT_PATTERN)
    host: str
    port: int = Field(161, ge=1, le=65535)
    community: SecretStr | None = None
    v3: SnmpV3 | None = None
    profile: str | None = Field(None, description="Force a profile; default: detected.")
    rated_w: float | None = Field(
        None, gt=0, description="Rated output (W), for a UPS that reports only its load."
    )
    rated_va: float | None = Field(
        None, gt=0, description="Rated output (VA), for a UPS that reports only its load."
    )
    power_factor: float | None = Field(
        None, gt=0, le=1, description="Power factor applied to rated_va (default 0.9)."
    )

    @model_validator(mode="before")
    @classmethod
    def _community_from_env(cls, data: object) -> object:
        return _secrets_from_env(data, ("community",))

    @model_validator(mode="after")
    def _one_auth(self) -> SnmpTarget:
        if self.community is None and self.v3 is None:
            raise ValueError("set community (v2c) or [v3] (authPriv)")
        return self


class SnmpSettings(Section):
    interval_seconds: float = Field(60.0, ge=1)
    timeout_seconds: float = Field(2.0, gt=0, le=60)
    retries: int = Field(1, ge=0, le=5)
    concurrency: int = Field(32, ge=1, le=50)
    shard: int = Field(0, ge=0)
    shards: int = Field(1, ge=1)
    source_address: str | None = Field(
        None,
        description="Local address the SNMP socket binds to; default: the one routed to the "
        "target (127.0.0.1 for targets on loopback), never the wildcard.",
    )
    targets: list[SnmpTarget] = Field(default_factory=list)
    extra_profiles: Path | None = Field(
        None,
        description="A folder of your own profile TOML files, loaded at start-up beside the "
        "shipped ones (collector/snmp/profiles/README.md).",
    )

    @model_validator(mode="after")
    def _shard_in_range(self) -> SnmpSettings:
        if self.shard >= self.shards:
            raise ValueError(f"shard must be below shards ({self.shards})")
        return self


def _hhmm(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day HH:MM") from None


class PolicyGroup(Section):
    """When the devices of a group must be asleep (or off), in the authority's time zone."""

    evening_start: str = "19:30"
    morning_end: str = "07:30"
    weekends: bool = True
    public_holidays: bool = True
    idle_minutes: float = Field(30.0, gt=0, description="Idle this long inside a window = breach.")
    grace_minutes: float = Field(15.0, ge=0, description="Ignored at the start of each window.")
    target_state: Literal["sleep", "off"] = "sleep"
    max_sleep_timeout_minutes: float = Field(
        30.0,
        gt=0,
        description="A sleep timeout longer than this (or never) is a configuration violation;"
        " 30 min is the ENERGY STAR computer requirement.",
    )

    @field_validator("evening_start", "morning_end")
    @classmethod
    def _time(cls, value: str) -> str:
        _hhmm(value)
        return value

    @property
    def evening(self) -> time:
        return _hhmm(self.evening_start)

    @property
    def morning(self) -> time:
        return _hhmm(self.morning_end)


class MaintenanceWindow(Section):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        _hhmm(value)
        return value


_PORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class PoePolicy(Section):
    """Night policy for network gear: PoE drawn on access-point ports during sleep windows."""

    group: str = Field("workstations", description="The policy group whose windows apply.")
    max_port_watts: float = Field(
        2.0, ge=0, description="An access-point port drawing more than this at night breaches."
    )
    min_minutes: float = Field(30.0, gt=0, description="Above the threshold this long = breach.")
    access_point_ports: dict[str, list[str]] = Field(
        default_factory=dict,
        description="PoE device id (an SNMP target) -> its ports feeding access points, as the"
        ' profile names them ("port-1.3": unit 1, port 3).',
    )

    @field_validator("access_point_ports")
    @classmethod
    def _port_names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for device_id, ports in value.items():
            bad = [p for p in ports if not _PORT_NAME.fullmatch(p)]
            if bad:
                raise ValueError(f"{device_id}: not a port name (letters, digits, . _ -): {bad}")
        return value


class PolicySettings(Section):
    timezone: str = "Europe/Paris"
    holidays_country: str = "FR"
    holidays_subdivision: str | None = Field(
        None,
        description='Regional holidays too: "57" Moselle, "6AE" Alsace (Good Friday, 26 Dec),'
        ' "974" La Réunion... as the holidays package names them.',
    )
    groups: dict[str, PolicyGroup] = Field(default_factory=lambda: {"workstations": PolicyGroup()})
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    poe: PoePolicy | None = None

    @model_validator(mode="after")
    def _holidays_known(self) -> PolicySettings:
        try:
            holidays.country_holidays(self.holidays_country, subdiv=self.holidays_subdivision)
        except NotImplementedError as exc:
            raise ValueError(f"holidays_country/holidays_subdivision: {exc}") from None
        if self.poe is not None and self.poe.group not in self.groups:
            raise ValueError(f"poe.group: no policy group {self.poe.group!r}")
        return self

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class EmissionFactor(Section):
    g_co2e_per_kwh: float = Field(gt=0)
    method: Literal["location", "market"]
    source: str
    year: int = Field(ge=2000, le=2100)


def _default_factors() -> dict[str, EmissionFactor]:
    # Values quoted by Nantes Métropole (shared/seeds/001): check ADEME Base Empreinte for the
    # current French mix before printing a report.
    return {
        "grid_fr": EmissionFactor(
            g_co2e_per_kwh=60,
            method="location",
            source="Nantes Métropole RNS 2021, mix standard "
            "(à vérifier dans la Base Empreinte de l’ADEME)",
            year=2021,
        ),
        "green_contract": EmissionFactor(
            g_co2e_per_kwh=31,
            method="market",
            source="Nantes Métropole RNS 2021, contrat vert",
            year=2021,
        ),
    }


class ContractSettings(Section):
    """One electricity supply contract (``[[carbon.contracts]]``): the share of the energy of
    the datacentres (or of every datacentre of the sites) it supplies, its renewable share and
    its emission factor (``g_co2e_per_kwh``, or ``factor`` naming one of ``carbon.factors``)."""

    name: str = Field(min_length=1)
    datacentres: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    share: float = Field(1.0, gt=0, le=1, description="Share of their energy it supplies.")
    renewable_share: float = Field(ge=0, le=1, description="Green share (guarantees of origin).")
    g_co2e_per_kwh: float | None = Field(None, ge=0)
    factor: str | None = Field(None, description="A name in carbon.factors, instead.")
    source: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)

    @model_validator(mode="after")
    def _whole(self) -> ContractSettings:
        if not (self.datacentres or self.sites):
            raise ValueError(f"{self.name}: say what it supplies: datacentres or sites")
        if (self.g_co2e_per_kwh is None) == (self.factor is None):
            raise ValueError(f"{self.name}: give either g_co2e_per_kwh or factor, one of them")
        return self


class CarbonSettings(Section):
    factors: dict[str, EmissionFactor] = Field(default_factory=_default_factors)
    contracts: list[ContractSettings] = Field(default_factory=list)
    residual_factor: str | None = Field(
        None,
        description="carbon.factors name for energy no contract covers (market-based); "
        "default: the first location-based factor.",
    )

    @model_validator(mode="after")
    def _names(self) -> CarbonSettings:
        problems = []
        for c in self.contracts:
            if c.factor is not None and c.factor not in self.factors:
                problems.append(f"contracts {c.name}: factor {c.factor!r} not in carbon.factors")
        if self.residual_factor is not None and self.residual_factor not in self.factors:
            problems.append(f"residual_factor {self.residual_factor!r} not in carbon.factors")
        if self.contracts and self.residual() is None:
            problems.append("contracts need residual_factor or a location-based factor")
        names = [c.name for c in self.contracts]
        problems += [f"contracts: {n!r} twice" for n in sorted(set(names)) if names.count(n) > 1]
        shares: dict[str, float] = {}
        for c in self.contracts:
            for dc in c.datacentres:
                shares[dc] = shares.get(dc, 0.0) + c.share
        problems += [
            f"contracts: the shares of {dc} add up to {v:g}, more than 1"
            for dc, v in sorted(shares.items())
            if v > 1 + 1e-9
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def residual(self) -> str | None:
        """The factor of energy no contract covers: ``residual_factor``, or the first
        location-based one."""
        if self.residual_factor is not None:
            return self.residual_factor
        return next((n for n, f in self.factors.items() if f.method == "location"), None)


class MetricsSettings(Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(9109, ge=0, le=65535, description="0 picks a free port")


class RetentionSettings(Section):
    raw_days: int = Field(35, ge=1, description="Raw samples are deleted after this.")
    hourly_days: int = Field(3 * 366, ge=30, description="Hourly kWh roll-ups kept this long.")
    dead_letter_days: int = Field(30, ge=1, description="Rejected messages are deleted after this.")
    policy_days: int = Field(
        800,
        ge=400,
        description="Judged sleep windows, closed violations, their events and ended exemptions "
        "are deleted after this (open violations never).",
    )
    daily_days: int = Field(
        5 * 366,
        ge=400,
        description="Daily kWh roll-ups and imported hosted-room figures are deleted after this "
        "(the reports compare with the year before).",
    )
    dead_letter_payload_bytes: int = Field(
        16_384, ge=256, le=1_048_576, description="Bytes of a rejected payload kept (its start)."
    )


class AnalysisSettings(Section):
    interval_seconds: float = Field(
        300.0, ge=5, description="How often kWh and violations are recomputed."
    )
    max_gap_seconds: float = Field(
        1800.0, gt=0, description="Longer spans between samples are gaps (missing), not bridged."
    )
    lookback_hours: float = Field(48.0, gt=0, description="Recomputed on each run.")
    pue_min_hour_coverage: float = Field(
        0.99,
        gt=0,
        le=1,
        description="An hour counts toward PUE when every meter covers this share.",
    )
    pue_limit: float = Field(
        1.5, gt=1, description="Contractual PUE limit (hosting contracts: PUE < 1.5)."
    )
    pue_limits: dict[str, Annotated[float, Field(gt=1)]] = Field(
        default_factory=dict, description="Datacentre -> its own limit, instead of pue_limit."
    )


GlpiItemtype = Literal["Computer", "Monitor", "NetworkEquipment", "PDU"]
GLPI_ITEMTYPES: tuple[GlpiItemtype, ...] = ("Computer", "Monitor", "NetworkEquipment", "PDU")


class GlpiSettings(Section):
    """GLPI's REST API, read by ``veille-collector import-inventory --api``."""

    url: str | None = Field(None, description="Base URL ending in apirest.php.")
    app_token: SecretStr = Field(SecretStr(""), description="The API client's App-Token.")
    user_token: SecretStr = Field(SecretStr(""), description="A read-only user's API token.")
    mapping: Path | None = Field(None, description="The GLPI mapping file (TOML).")
    itemtypes: list[GlpiItemtype] = Field(
        default_factory=lambda: list(GLPI_ITEMTYPES), description="What --api reads."
    )
    page_size: int = Field(50, ge=1, le=1000, description="Rows per search request (range).")
    timeout_seconds: float = Field(30.0, gt=0, le=600)
    ca_file: Path | None = Field(None, description="CA bundle for GLPI's TLS certificate.")

    @field_validator("url")
    @classmethod
    def _http(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL (…/apirest.php)")
        return url


class CollectorConfig(VeilleSettings):
    """The whole ``collector.toml``."""

    inventory: Path | None = Field(None, description="Inventory file (TOML or CSV).")
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    timeseries: TimeseriesSettings = Field(default_factory=TimeseriesSettings)
    snmp: SnmpSettings = Field(default_factory=SnmpSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    carbon: CarbonSettings = Field(default_factory=CarbonSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    glpi: GlpiSettings = Field(default_factory=GlpiSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    baseline: BaselineSettings = Field(default_factory=BaselineSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)


def load_config(path: Path | None = None) -> CollectorConfig:
    """Load and check ``collector.toml``; raise ConfigError naming every bad key."""
    cfg = load_settings(CollectorConfig, path)
    if path is None:
        return cfg
    # Files the config names are relative to the config file, not the working directory.
    if cfg.inventory is not None and not cfg.inventory.is_absolute():
        cfg = cfg.model_copy(update={"inventory": path.parent / cfg.inventory})
    extra = cfg.snmp.extra_profiles
    if extra is not None and not extra.is_absolute():
        snmp = cfg.snmp.model_copy(update={"extra_profiles": path.parent / extra})
        cfg = cfg.model_copy(update={"snmp": snmp})
    keys = cfg.mqtt.signing_keys_dir
    if keys is not None and not keys.is_absolute():
        mqtt = cfg.mqtt.model_copy(update={"signing_keys_dir": path.parent / keys})
        cfg = cfg.model_copy(update={"mqtt": mqtt})
    if cfg.glpi.mapping is not None and not cfg.glpi.mapping.is_absolute():
        glpi = cfg.glpi.model_copy(update={"mapping": path.parent / cfg.glpi.mapping})
        cfg = cfg.model_copy(update={"glpi": glpi})
    if cfg.baseline.file is not None and not cfg.baseline.file.is_absolute():
        baseline = cfg.baseline.model_copy(update={"file": path.parent / cfg.baseline.file})
        cfg = cfg.model_copy(update={"baseline": baseline})
    return cfg
