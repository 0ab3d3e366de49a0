"""The [alerts] section: checked at start-up naming its key, secrets from the environment and
never in a repr, and the channels it turns on."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from collector.alerts.wiring import build_dispatcher
from collector.config import load_config
from contract.settings import ConfigError

FULL = """
[alerts]
digest_hour = "07:45"
digest_by = "domain"
repeat_threshold = 4

[alerts.email]
host = "smtp.mairie.example"
username = "veille"
from = "veille@mairie.example"
to = ["infra@mairie.example"]
lang = "en"

[alerts.webhook]
url = "https://hooks.mairie.example/veille"

[alerts.alertmanager]
url = "http://127.0.0.1:9093"

[alerts.mqtt]
topic_prefix = "mairie/alerts"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "collector.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[alerts]\ndigest_hour = "8h"\n', "alerts.digest_hour"),
        ("[alerts]\nrepeat_threshold = 1\n", "alerts.repeat_threshold"),
        ('[alerts]\ndigest_by = "group"\n', "alerts.digest_by"),
        ('[alerts]\ndigest_channels = ["fax"]\n', "alerts.digest_channels.0"),
        ('[alerts.email]\nhost = "h"\nfrom = "x@y"\nto = []\n', "alerts.email.to"),
        ('[alerts.email]\nhost = "h"\nfrom = "nobody"\nto = ["a@b"]\n', "alerts.email.from"),
        ('[alerts.email]\nhost = "h"\nfrom = "x@y"\nto = ["a b@c"]\n', "alerts.email.to"),
        (
            '[alerts.email]\nhost = "h"\nfrom = "x@y"\nto = ["a@b"]\nlang = "de"\n',
            "alerts.email.lang",
        ),
        ('[alerts.webhook]\nurl = "ftp://x"\n', "alerts.webhook.url"),
        (
            '[alerts.alertmanager]\nurl = "http://x"\nttl_seconds = 5\n',
            "alerts.alertmanager.ttl_seconds",
        ),
        ('[alerts.mqtt]\ntopic_prefix = "a/#"\n', "alerts.mqtt.topic_prefix"),
        ("[alerts]\nsmtp = 1\n", "alerts.smtp"),
    ],
)
def test_bad_value_names_its_key(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, toml))
    assert any(p.startswith(f"{key}:") for p in info.value.problems), info.value.problems


def test_secrets_come_from_the_environment_and_stay_out_of_reprs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_ALERTS__EMAIL__PASSWORD", "smtp-Secret-42")
    monkeypatch.setenv("VEILLE_ALERTS__WEBHOOK__TOKEN", "hook-Token-43")
    cfg = load_config(_write(tmp_path, FULL))
    email, hook = cfg.alerts.email, cfg.alerts.webhook
    assert email is not None and hook is not None
    assert email.password is not None and email.password.get_secret_value() == "smtp-Secret-42"
    assert hook.token is not None and hook.token.get_secret_value() == "hook-Token-43"
    assert email.sender == "veille@mairie.example"
    assert "smtp-Secret-42" not in repr(cfg) and "hook-Token-43" not in repr(cfg)
    assert "smtp-Secret-42" not in cfg.model_dump_json()


def test_channels_follow_the_config(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, FULL))
    assert cfg.alerts.digest_time.hour == 7 and cfg.alerts.digest_time.minute == 45
    d = build_dispatcher(cfg, CollectorRegistry(), None)
    assert sorted(d.workers) == ["alertmanager", "email", "gauge", "mqtt", "webhook"]
    assert d.digest_channels == {"email"}


def test_default_is_the_gauge_alone(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, ""))
    assert cfg.alerts.email is None and cfg.alerts.repeat_threshold == 3
    assert list(build_dispatcher(cfg, CollectorRegistry(), None).workers) == ["gauge"]


def test_every_documented_alerts_key_is_real(tmp_path: Path) -> None:
    """Uncomment the example's [alerts] section: it must load, with the documented values."""
    example = (Path(__file__).parents[2] / "deploy" / "collector.example.toml").read_text("utf-8")
    section = example[example.index("\n[alerts]\n") :]
    lines = []
    for line in section.splitlines():
        if line.startswith("[") and not line.startswith("[alerts"):
            break  # the next section
        if line.startswith("## "):
            continue
        lines.append(line[2:] if line.startswith("# ") else line)
    cfg = load_config(_write(tmp_path, "\n".join(lines)))
    a = cfg.alerts
    assert a.email is not None and a.email.sender == "veille@mairie.example"
    assert a.webhook is not None and a.alertmanager is not None and a.mqtt is not None
    assert (a.digest_hour, a.digest_by, a.repeat_threshold) == ("08:00", "site", 3)
    assert a.mqtt.topic_prefix == "veille/v1/alerts"
