"""Scale-out: two collectors, one Mosquitto, one PostgreSQL.

They split the MQTT load through an MQTT v5 shared subscription and the SNMP targets by shard,
and every message is stored exactly once, even when agents send some of them twice.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from collector.app import CollectorApp
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import tables as t
from collector.snmp.responder import SnmpResponder
from collector.snmp.snmprec import load_snmprec
from contract.schema import Quality, Reading, Telemetry, topic
from loopback.servers import Server, _Postgres
from tests.conftest import FIXTURES

pytestmark = pytest.mark.integration

DEVICES = 20
MESSAGES_PER_DEVICE = 50
WALKS = ["apc_ap7900b", "eatonups", "deltaups", "raritan-pdu_px2", "sentry4", "liebert"]


def _collector(n: int, url: str, broker: Server, snmp_port: int, tmp: Path) -> CollectorApp:
    cfg = CollectorConfig.model_validate(
        {
            "mqtt": {
                "embedded": False,
                "port": broker.port,
                "protocol": "5",
                "shared_group": "veille",
                "client_id": f"collector-{n}",
            },
            "ledger": {"url": url},
            "metrics": {"port": 0},
            "snmp": {
                "interval_seconds": 1,
                "shard": n,
                "shards": 2,
                "targets": [
                    {
                        "device_id": f"pdu-{w}",
                        "host": "127.0.0.1",
                        "port": snmp_port,
                        "community": w,
                    }
                    for w in WALKS
                ],
            },
        }
    )
    return CollectorApp(cfg, Inventory([]), spool_dir=tmp / f"spool-{n}")


def test_two_collectors_store_every_message_once(
    tmp_path: Path, mosquitto: Server, postgres: _Postgres
) -> None:
    url = postgres.create_database("scale_out")
    responder = SnmpResponder()
    for w in WALKS:
        responder.add_dataset(w, load_snmprec(FIXTURES / "snmp" / f"{w}.snmprec"))
    snmp_port = responder.start()
    apps = [_collector(n, url, mosquitto, snmp_port, tmp_path) for n in range(2)]
    try:
        for app in apps:  # one after the other: the first one runs the migrations
            app.start(jobs=False)
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="scale-pub", protocol=mqtt.MQTTv5)
        pub.max_inflight_messages_set(200)
        pub.connect("127.0.0.1", mosquitto.port)
        pub.loop_start()
        now = datetime.now(UTC)
        infos = []
        for seq in range(MESSAGES_PER_DEVICE):
            for d in range(DEVICES):
                msg = Telemetry(
                    device_id=f"pc-{d}",
                    seq=seq,
                    sent_at=now,
                    readings=[
                        Reading(
                            ts=now,
                            metric="power_watts",
                            value=float(seq),
                            source="model",
                            quality=Quality.ESTIMATED,
                        )
                    ],
                )
                payload = msg.to_json()
                copies = 2 if seq % 10 == 0 else 1  # an agent resending after a reconnect
                for _ in range(copies):
                    infos.append(
                        pub.publish(topic("mairie", f"pc-{d}", "telemetry"), payload, qos=1)
                    )
        for info in infos:
            info.wait_for_publish(30)
        pub.loop_stop()
        pub.disconnect()

        expected = DEVICES * MESSAGES_PER_DEVICE
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and apps[0].ledger.count("messages") < expected:
            time.sleep(0.2)
        for app in apps:
            assert app.ingestor is not None and app.ingestor.wait_idle(30)
        # every (device, seq) once, every reading once
        assert apps[0].ledger.count("messages") == expected
        with apps[0].ledger.engine.connect() as conn:
            mqtt_samples = conn.execute(
                select(func.count())
                .select_from(t.samples)
                .where(t.samples.c.device_id.like("pc-%"))
            ).scalar_one()
        assert mqtt_samples == expected
        # both collectors took a share of the messages (shared subscription)
        stored = [app.metrics.messages.labels("stored")._value.get() for app in apps]
        dups = [app.metrics.messages.labels("duplicate")._value.get() for app in apps]
        assert sum(stored) == expected and min(stored) > 0
        assert sum(dups) == DEVICES * MESSAGES_PER_DEVICE // 10

        # SNMP: each target polled by exactly one collector, all targets by one of them
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with apps[0].ledger.engine.connect() as conn:
                seen = set(
                    conn.execute(
                        select(t.samples.c.device_id)
                        .where(t.samples.c.device_id.like("pdu-%"))
                        .distinct()
                    ).scalars()
                )
            if len(seen) == len(WALKS):
                break
            time.sleep(0.5)
        assert seen == {f"pdu-{w}" for w in WALKS}
        shards = [{tg.device_id for tg in app.poller.targets} for app in apps]
        assert shards[0].isdisjoint(shards[1])
        assert shards[0] | shards[1] == seen
        assert shards[0] and shards[1]
        assert all(app.metrics.readings.labels("snmp")._value.get() > 0 for app in apps)
    finally:
        for app in apps:
            app.stop()
        responder.stop()
