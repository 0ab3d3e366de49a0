"""The demo's receivers without Alertmanager installed: one line says so, the demo's config
has no Alertmanager channel, and the other receivers still work."""

from __future__ import annotations

from pathlib import Path

from collector.sim.alert_receivers import AlertReceivers
from collector.sim.alertmanager_proc import DemoAlertmanager


def test_no_alertmanager_binary_is_one_line_and_no_channel(tmp_path: Path) -> None:
    receivers = AlertReceivers(tmp_path)
    receivers.alertmanager = DemoAlertmanager(
        tmp_path / "am", binary=str(tmp_path / "no" / "prometheus-alertmanager")
    )
    receivers.start()
    try:
        assert receivers.alertmanager is None
        assert receivers.alertmanager_note == (
            "alertmanager: not started (prometheus-alertmanager is not installed); "
            "going on without it"
        )
        config = receivers.config()
        assert "alertmanager" not in config and {"webhook", "email"} <= config.keys()
        assert receivers.snapshot("first-run") == []
        assert not (tmp_path / "alerts" / "alertmanager-first-run.json").exists()
        summary = receivers.summary()
        assert len(summary) == 2 and not any(line.startswith("alertmanager") for line in summary)
    finally:
        receivers.stop()
