"""The collector service end to end against real servers: Mosquitto in, SNMP polled over UDP,
ledger and VictoriaMetrics out, self-metrics on /metrics."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.app import CollectorApp
from collector.config import CollectorConfig
from collector.inventory import Device, Inventory
from collector.snmp.responder import SnmpResponder
from collector.snmp.snmprec import load_snmprec
from contract.schema import Quality, Reading, Telemetry, topic
from loopback.servers import Server, _VictoriaMetrics
from tests.conftest import FIXTURES
from tests.exposition import series

pytestmark = pytest.mark.integration


def _wait(cond, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _vm_series(vm: _VictoriaMetrics, query: str) -> list[dict[str, Any]]:
    vm.flush()
    url = f"{vm.url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=5) as resp:
        return list(json.load(resp)["data"]["result"])


def test_service_end_to_end(
    tmp_path: Path, mosquitto: Server, victoria_metrics: _VictoriaMetrics
) -> None:
    responder = SnmpResponder()
    responder.add_dataset("deltaups", load_snmprec(FIXTURES / "snmp" / "deltaups.snmprec"))
    port = responder.start()
    cfg = CollectorConfig.model_validate(
        {
            "mqtt": {"embedded": False, "port": mosquitto.port, "client_id": "app-e2e"},
            "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.sqlite'}"},
            "timeseries": {"url": victoria_metrics.url, "measurement": "e2e"},
            "metrics": {"port": 0},
            "snmp": {
                "interval_seconds": 1,
                "targets": [
                    {
                        "device_id": "ups-e2e",
                        "host": "127.0.0.1",
                        "port": port,
                        "community": "deltaups",
                    },
                    {"device_id": "dead-e2e", "host": "127.0.0.1", "port": 9, "community": "x"},
                ],
            },
        }
    )
    inv = Inventory(
        [
            Device(id="pc-e2e", kind="desktop", site="mairie"),
            Device(id="ups-e2e", kind="ups", datacentre="dc1", pue_role="it"),
        ]
    )
    app = CollectorApp(cfg, inv, spool_dir=tmp_path / "spool")
    app.start(jobs=False)
    try:
        now = datetime.now(UTC)
        msg = Telemetry(
            device_id="pc-e2e",
            seq=1,
            sent_at=now,
            readings=[
                Reading(
                    ts=now,
                    metric="power_watts",
                    value=61.5,
                    source="rapl",
                    quality=Quality.MEASURED,
                )
            ],
        )
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="e2e-pub")
        pub.connect("127.0.0.1", mosquitto.port)
        pub.loop_start()
        pub.publish(topic("mairie", "pc-e2e", "telemetry"), msg.to_json(), qos=1).wait_for_publish(
            5
        )
        pub.publish(topic("mairie", "pc-e2e", "telemetry"), b"garbage", qos=1).wait_for_publish(5)
        pub.loop_stop()
        pub.disconnect()

        _wait(lambda: app.ledger.count("messages") == 1 and len(app.ledger.dead_letters()) == 1)
        _wait(lambda: any(r.device_id == "ups-e2e" for r in app.ledger.devices()))
        assert app.sink is not None and app.sink.flush(10)
        (pc,) = _vm_series(victoria_metrics, 'e2e_power_watts{device_id="pc-e2e"}')
        assert float(pc["value"][1]) == 61.5
        assert pc["metric"]["domain"] == "Environnement utilisateur"
        ups = _vm_series(victoria_metrics, 'e2e_power_watts{device_id="ups-e2e"}')
        assert any(abs(float(s["value"][1]) - 951) < 9.6 for s in ups)  # the recording: 951 W
        _wait(lambda: app.poller is not None and "dead-e2e" in app.poller.errors_by_target)

        with urllib.request.urlopen(f"http://127.0.0.1:{app.metrics_port}/metrics") as resp:
            text = resp.read().decode()
        got = series(text)  # fails on a duplicate series
        assert got[("veille_collector_messages_total", (("outcome", "stored"),))] == 1
        assert got[("veille_collector_rejects_total", (("reason", "bad_json"),))] == 1
        assert got[("veille_collector_snmp_errors_total", (("target", "dead-e2e"),))] >= 1
        assert got[("veille_collector_sink_written_total", ())] >= 2
        assert got[("veille_collector_sink_errors_total", ())] == 0
    finally:
        app.stop()
        responder.stop()
