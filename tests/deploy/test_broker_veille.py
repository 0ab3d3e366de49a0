"""veille's own agent and collector work through the shipped broker, and a spoof does not.

The real ``Publisher`` (agent) and ``CollectorApp`` (collector, SQLite ledger) connect over TLS
with accounts from issue-credentials to Mosquitto running the shipped configuration
(tests/deploy/broker.py). The honest agent's messages are stored; an agent configured with
another device's id but its own account is refused by the ACL: with MQTT v5 its spool counts
the refusal (``agent_spool_dropped_total{reason="rejected"}``), and the ledger never sees the
device it pretended to be.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.config import AgentMqtt, AgentTls
from agent.settings import Secret
from agent.spool import Spool
from agent.transport import Publisher
from collector.app import CollectorApp
from collector.config import CollectorConfig
from collector.inventory import Inventory
from contract.wire import Quality, Reading
from tests.deploy.broker import Broker, shipped_broker

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    with shipped_broker() as b:
        for account in ("veille-collector", "pc-honest", "pc-liar"):
            assert b.issue("password", account).returncode == 0
        b.reload()
        yield b


def agent(broker: Broker, account: str, device_id: str, tmp: Path) -> Publisher:
    mqtt = AgentMqtt(
        host="127.0.0.1",
        port=broker.password_port,
        username=account,
        password=Secret(broker.password_of(account)),
        tls=AgentTls(ca_file=broker.etc / "ca.crt"),
        protocol="5",
    )
    spool = Spool(str(tmp / f"{device_id}.sqlite"), max_messages=1000, max_age_seconds=86400)
    return Publisher(mqtt, site="mairie", device_id=device_id, spool=spool)


def test_the_agent_reaches_the_ledger_and_the_spoof_is_refused(
    broker: Broker, tmp_path: Path
) -> None:
    cfg = CollectorConfig.model_validate(
        {
            "mqtt": {
                "embedded": False,
                "host": "127.0.0.1",
                "port": broker.password_port,
                "username": "veille-collector",
                "password": broker.password_of("veille-collector"),
                "tls": {"ca_file": str(broker.etc / "ca.crt")},
                "protocol": "5",
                "client_id": "veille-collector",
            },
            "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.sqlite'}"},
            "metrics": {"enabled": False},
        }
    )
    app = CollectorApp(cfg, Inventory([]), spool_dir=tmp_path / "spool")
    app.start(jobs=False)
    honest = agent(broker, "pc-honest", "pc-honest", tmp_path)
    liar = agent(broker, "pc-liar", "pc-victim", tmp_path)  # its own account, another's id
    try:
        now = datetime.now(UTC)
        reading = Reading(
            ts=now, metric="power_watts", value=42.5, source="rapl", quality=Quality.MEASURED
        )
        for p in (honest, liar):
            p.start()
            p.submit([reading], None, "desktop")
        assert honest.drain(20)
        assert liar.drain(20)
        assert app.ingestor is not None
        deadline = time.monotonic() + 20
        while app.ledger.count("messages") < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert app.ingestor.wait_idle(20)
        seen = {d.device_id for d in app.ledger.devices()}
        assert "pc-honest" in seen
        assert "pc-victim" not in seen
        assert app.ledger.count("messages") == 1
        assert liar.spool.dropped_total["rejected"] == 1
        assert honest.spool.dropped_total["rejected"] == 0
    finally:
        for p in (honest, liar):
            p.stop()
        app.stop()
