"""The collector service with [alerts]: the dispatcher starts with the app, events reach the
webhook and Alertmanager, the gauge and the delivery counters show on the served /metrics,
and the digest job is scheduled at the configured hour."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector.app import CollectorApp
from collector.config import CollectorConfig
from loopback.servers import Server, _Alertmanager
from tests.alerts.factory import opened, resolved
from tests.alerts.http_sink import http_sink
from tests.alerts.test_alertmanager import alerts

pytestmark = pytest.mark.integration


def test_app_delivers_alerts_and_serves_their_metrics(
    tmp_path: Path, mosquitto: Server, alertmanager: _Alertmanager
) -> None:
    with http_sink() as sink:
        cfg = CollectorConfig.model_validate(
            {
                "mqtt": {"embedded": False, "port": mosquitto.port, "client_id": "app-alerts"},
                "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.sqlite'}"},
                "metrics": {"port": 0},
                "alerts": {
                    "digest_hour": "07:30",
                    "webhook": {"url": sink.url},
                    "alertmanager": {"url": alertmanager.url},
                },
            }
        )
        app = CollectorApp(cfg)
        app.start(jobs=False)
        try:
            assert app.alerts is not None
            url = f"http://127.0.0.1:{app.metrics_port}/metrics"
            with urllib.request.urlopen(url, timeout=5) as resp:
                before = resp.read().decode()
            for channel in ("webhook", "alertmanager", "gauge"):  # at 0 before any event
                assert f'veille_alert_deliveries_total{{channel="{channel}"}} 0.0' in before
                assert f'veille_alert_deliveries_failed_total{{channel="{channel}"}} 0.0' in before
            event = opened("PC-APP-01", window_start=datetime.now(UTC) - timedelta(hours=2))
            app.alerts.dispatcher.publish([event])
            sink.wait_for(1)
            assert app.alerts.dispatcher.drain(10)
            assert len(alerts(alertmanager.url, "PC-APP-01")) == 1
            url = f"http://127.0.0.1:{app.metrics_port}/metrics"
            with urllib.request.urlopen(url, timeout=5) as resp:
                page = resp.read().decode()
            assert 'veille_alert_deliveries_total{channel="webhook"} 1.0' in page
            assert 'veille_alert_deliveries_total{channel="alertmanager"} 1.0' in page
            assert 'veille_sleep_violation_open{device_id="PC-APP-01"' in page

            app.alerts.dispatcher.publish(
                [resolved(event, at=datetime.now(UTC) - timedelta(seconds=1))]
            )
            sink.wait_for(2)
            assert app.alerts.dispatcher.drain(10)
            assert alerts(alertmanager.url, "PC-APP-01") == []
            with urllib.request.urlopen(url, timeout=5) as resp:
                assert "PC-APP-01" not in resp.read().decode()

            app.alerts.schedule(app._jobs)
            [job] = [j for j in app._jobs.get_jobs() if j.id == "alerts-digest"]
            fire = job.trigger.get_next_fire_time(None, datetime(2026, 12, 1, 12, tzinfo=UTC))
            assert fire == datetime(2026, 12, 2, 6, 30, tzinfo=UTC)  # 07:30 in Paris
        finally:
            app.stop()
    assert app.alerts is None
