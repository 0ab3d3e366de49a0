"""``veille-collector test-alerts`` against real servers: one line per channel, exit 1 when one
failed, no secret printed; ``check-config`` lists the alert channels."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from collector.cli import main
from loopback.servers import _Alertmanager, free_port
from tests.alerts.http_sink import http_sink
from tests.alerts.smtp_server import PASSWORD, USER, smtp_server

pytestmark = pytest.mark.integration


def test_every_channel_gets_the_test_alert(
    tmp_path: Path,
    alertmanager: _Alertmanager,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VEILLE_ALERTS__EMAIL__PASSWORD", PASSWORD)
    monkeypatch.setenv("VEILLE_ALERTS__WEBHOOK__TOKEN", "tok-cli-secret")
    with smtp_server(tmp_path) as box, http_sink() as sink:
        conf = tmp_path / "collector.toml"
        conf.write_text(
            f"""
[alerts.email]
host = "127.0.0.1"
port = {box.port}
username = "{USER}"
from = "veille@mairie.example"
to = ["infra@mairie.example"]
ca_file = "{box.ca_file}"

[alerts.webhook]
url = "{sink.url}"

[alerts.alertmanager]
url = "{alertmanager.url}"
""",
            encoding="utf-8",
        )
        assert main(["test-alerts", "-c", str(conf)]) == 0
        out = capsys.readouterr().out
        [mail] = box.wait_for(1)
        [hook] = sink.wait_for(1)
        assert main(["check-config", "-c", str(conf)]) == 0
        assert "alert channels: email, webhook, alertmanager, gauge" in capsys.readouterr().out
    assert out.splitlines() == [
        "email: delivered",
        "webhook: delivered",
        "alertmanager: delivered",
        "gauge: delivered",
    ]
    assert mail["Subject"] == "[veille] Récidive (3 fenêtres de suite) : veille-test"
    assert hook.headers["Authorization"] == "Bearer tok-cli-secret"
    assert hook.body["events"][0]["device_id"] == "veille-test"
    with urllib.request.urlopen(f"{alertmanager.url}/api/v2/alerts", timeout=10) as resp:
        left = [a for a in json.load(resp) if a["labels"].get("device_id") == "veille-test"]
    assert left == []  # resolved right after: no open test alert left behind


def test_failing_channel_exits_1_without_printing_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_ALERTS__WEBHOOK__TOKEN", "tok-cli-secret")
    conf = tmp_path / "collector.toml"
    conf.write_text(
        f'[alerts]\ngauge = false\n[alerts.webhook]\nurl = "http://127.0.0.1:{free_port()}/x"\n',
        encoding="utf-8",
    )
    assert main(["test-alerts", "-c", str(conf)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("webhook: FAILED: webhook: cannot reach http://127.0.0.1:")
    assert "tok-cli-secret" not in captured.out + captured.err


def test_no_channel_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "collector.toml"
    conf.write_text("[alerts]\ngauge = false\n", encoding="utf-8")
    assert main(["test-alerts", "-c", str(conf)]) == 2
    assert "no alert channel configured" in capsys.readouterr().out
