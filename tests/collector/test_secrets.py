"""Secrets never reach a log line or a command's output.

Unit tests of the two walls (:func:`collector.redact.mask_url`, :class:`SecretFilter`), then
the real collector process: ``check-config`` and ``-v run`` against loopback Mosquitto,
PostgreSQL, VictoriaMetrics and snmpd, with every secret set (PostgreSQL password, MQTT
password, time-series token and URL password, SNMP community, SNMPv3 keys), all of its stdout
and stderr searched for each.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.config import CollectorConfig
from collector.redact import SecretFilter, mask_url, model_secrets
from loopback import servers

SECRETS = {
    "pg": "pg-Secret-7f3a",
    "mqtt": "mqtt-Secret-91c2",
    "token": "ts-Token-55d1",
    "ts_url": "ts-UrlPass-3e0d",
    "community": "snmp-Community-c0ffee",
    "auth": "snmp-AuthKey-0a1b2c",
    "priv": "snmp-PrivKey-9z8y7x",
    "glpi_app": "glpi-AppToken-4d4d",
    "glpi_user": "glpi-UserToken-8e8e",
    "smtp": "smtp-Password-6b6b",
    "webhook": "webhook-Token-2c2c",
    "am_url": "am-UrlPass-7a7a",
}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://veille:s3cr%40t@db:5432/veille",
            "postgresql+psycopg://veille:***@db:5432/veille",
        ),
        (
            "postgresql+psycopg://veille@db/veille?password=xyz&sslmode=require",
            "postgresql+psycopg://veille@db/veille?password=***&sslmode=require",
        ),
        ("sqlite:///veille.sqlite", "sqlite:///veille.sqlite"),
        ("http://u:tok@127.0.0.1:8428/w?token=abc", "http://u:***@127.0.0.1:8428/w?token=***"),
        ("http://127.0.0.1:8428", "http://127.0.0.1:8428"),
        # an unencoded @ in the password: SQLAlchemy splits at the first, URLs at the last
        ("postgresql+psycopg://u:p@ss@db/v", "postgresql+psycopg://u:***@db/v"),
        ("http://u:pw@host:notaport/x", "http://u:***@host:notaport/x"),
        ("http://[::1", "http://[::1"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


SECRET_ENV = {
    "VEILLE_MQTT__PASSWORD": SECRETS["mqtt"],
    "VEILLE_TIMESERIES__TOKEN": SECRETS["token"],
    "PDU_V3_AUTH_KEY": SECRETS["auth"],
    "PDU_V3_PRIV_KEY": SECRETS["priv"],
    "VEILLE_GLPI__APP_TOKEN": SECRETS["glpi_app"],
    "VEILLE_GLPI__USER_TOKEN": SECRETS["glpi_user"],
    "VEILLE_ALERTS__EMAIL__PASSWORD": SECRETS["smtp"],
    "VEILLE_ALERTS__WEBHOOK__TOKEN": SECRETS["webhook"],
}


def test_a_config_url_that_does_not_parse_does_not_stop_the_search() -> None:
    cfg = CollectorConfig.model_validate({"timeseries": {"url": "http://u:s3cret-x@host:notaport"}})
    assert model_secrets(cfg) == {"s3cret-x"}


def test_every_secret_of_a_config_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    cfg = CollectorConfig.model_validate(_config_doc(5432, 1883, 8428, 161))
    assert model_secrets(cfg) == set(SECRETS.values())


def test_filter_masks_messages_arguments_and_tracebacks() -> None:
    filt = SecretFilter(["hunter22"])
    logger = logging.getLogger("test.secrets")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(filt)
    logger.addHandler(handler)
    try:
        logger.warning("password is %s", "hunter22")
        logger.warning("url %s", "postgresql://u:unknown-p@ss@h/db")
        try:
            raise RuntimeError("connect with hunter22 failed")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert "hunter22" not in text and "unknown-p" not in text and "ss@h" not in text
    # message, URL, and the traceback twice (the source line and the exception)
    assert text.count("***") == 4 and "RuntimeError: connect with *** failed" in text


def _config_doc(pg_port: int, mqtt_port: int, vm_port: int, snmp_port: int) -> dict[str, object]:
    closed = 9  # discard: nothing answers there, so every alert channel fails and says so
    return {
        "alerts": {
            "email": {
                "host": "127.0.0.1",
                "port": closed,
                "starttls": False,
                "username": "veille",
                "from": "veille@example.org",
                "to": ["it@example.org"],
                "timeout_seconds": 2,
            },
            "webhook": {"url": f"http://127.0.0.1:{closed}/hook", "timeout_seconds": 2},
            "alertmanager": {
                "url": f"http://am:{SECRETS['am_url']}@127.0.0.1:{closed}",
                "timeout_seconds": 2,
            },
            "max_attempts": 1,
        },
        "mqtt": {"embedded": False, "host": "127.0.0.1", "port": mqtt_port, "username": "veille"},
        "ledger": {
            "url": f"postgresql+psycopg://postgres:{SECRETS['pg']}@127.0.0.1:{pg_port}/secrets"
        },
        "timeseries": {"url": f"http://veille:{SECRETS['ts_url']}@127.0.0.1:{vm_port}"},
        "metrics": {"port": 0},
        "snmp": {
            "interval_seconds": 1,
            "timeout_seconds": 0.5,
            "retries": 0,
            "targets": [
                {
                    "device_id": "pdu-v2",
                    "host": "127.0.0.1",
                    "port": snmp_port,
                    "community": SECRETS["community"],
                },
                {
                    "device_id": "pdu-v3",
                    "host": "127.0.0.1",
                    "port": snmp_port,
                    "v3": {
                        "user": "veille",
                        # the per-target way: the keys' environment variables are named
                        "auth_key_env": "PDU_V3_AUTH_KEY",
                        "priv_key_env": "PDU_V3_PRIV_KEY",
                    },
                },
            ],
        },
    }


def _toml(doc: dict[str, object]) -> str:
    """The config doc as TOML (flat enough for this test)."""
    lines: list[str] = []
    for section, body in doc.items():
        assert isinstance(body, dict)
        lines.append(f"[{section}]")
        tables = []
        for key, value in body.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                tables += [(key, item) for item in value]
            else:
                lines.append(f"{key} = {_value(value)}")
        for key, item in tables:
            lines.append(f"[[{section}.{key}]]")
            for k, v in item.items():
                if isinstance(v, dict):
                    lines.append(
                        f"{k} = {{ {', '.join(f'{a} = {_value(b)}' for a, b in v.items())} }}"
                    )
                else:
                    lines.append(f"{k} = {_value(v)}")
    return "\n".join(lines) + "\n"


def _value(v: object) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return '"' + str(v) + '"'


@pytest.mark.integration
def test_no_secret_in_any_output_of_the_collector(
    tmp_path: Path,
    mosquitto: servers.Server,
    postgres: servers._Postgres,
    victoria_metrics: servers._VictoriaMetrics,
) -> None:
    postgres.create_database("secrets")
    snmpd = servers.snmpd(tmp_path / "snmpd", community=SECRETS["community"])
    try:
        doc = _config_doc(postgres.port, mosquitto.port, victoria_metrics.port, snmpd.port)
        config = tmp_path / "collector.toml"
        config.write_text(_toml(doc))
        env = {**os.environ, **SECRET_ENV}
        cmd = [sys.executable, "-m", "collector.cli"]
        check = subprocess.run(
            [*cmd, "check-config", "-c", str(config)],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert check.returncode == 0, check.stderr
        assert "ledger: postgresql+psycopg://postgres:***@127.0.0.1" in check.stdout
        assert "time series: http://veille:***@127.0.0.1" in check.stdout
        alerts = subprocess.run(
            [*cmd, "-v", "test-alerts", "-c", str(config)],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        run_output = _run_briefly([*cmd, "-v", "run", "-c", str(config)], env, tmp_path, mosquitto)
    finally:
        snmpd.stop()
    # every channel was tried and failed (nothing listens), so the errors were logged
    assert "email" in alerts.stdout + alerts.stderr and "webhook" in alerts.stdout + alerts.stderr
    assert "collector up" in run_output and "postgres:***@" in run_output
    assert "DEBUG" in run_output  # -v: debug lines were searched too
    everything = check.stdout + check.stderr + alerts.stdout + alerts.stderr + run_output
    leaked = [name for name, secret in SECRETS.items() if secret in everything]
    assert leaked == [], f"secrets in the output: {leaked}"


def _run_briefly(argv: list[str], env: dict[str, str], cwd: Path, broker: servers.Server) -> str:
    """Run the collector until it is up, send it a good and a bad message, let it poll SNMP,
    stop it with SIGTERM; all of stdout and stderr."""
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("collector up" in line for line in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="secrets-test")
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        pub.publish("veille/v1/s/pc-9/telemetry", b'{"schema": 1, "dev', qos=1).wait_for_publish(10)
        pub.disconnect()
        pub.loop_stop()
        time.sleep(4)  # a few SNMP rounds: one target answers, the v3 one is refused
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        reader.join(10)
    return "".join(lines)
