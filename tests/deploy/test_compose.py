"""deploy/docker-compose.yml is valid, after the very steps its header documents.

No Docker engine runs here: `docker-compose config` (Debian's docker-compose, which checks the
file against the Compose schema and resolves paths, env files and profiles) validates it, in a
copy of deploy/ and dashboards/ prepared with the documented commands. The resolved file is
then read: the broker runs the shipped Mosquitto configuration, Grafana gets the provisioning
and the dashboards folder, every bind-mounted file exists, and the collector's configuration
passes the collector's own check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.config import load_config

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"mosquitto", "victoriametrics", "grafana", "collector"}


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout}{done.stderr}"
    return done.stdout


def compose(deploy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        raise RuntimeError("docker-compose is not installed: run `make test`, which installs it")
    return subprocess.run(
        [binary, "-p", "veille", *args],
        cwd=deploy,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")},
    )


@pytest.fixture(scope="module")
def deploy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/ and dashboards/ after the steps of docker-compose.yml's header."""
    root = tmp_path_factory.mktemp("compose")
    shutil.copytree(
        ROOT / "deploy",
        root / "deploy",
        ignore=shutil.ignore_patterns(
            "broker", "ca-private", "issued", "secrets", "collector.env", "inventory.toml"
        ),
    )
    shutil.copytree(ROOT / "dashboards", root / "dashboards")
    d = root / "deploy"
    env = {
        "VEILLE_BROKER_DIR": "./broker",
        "VEILLE_CA_DIR": "./ca-private",
        "VEILLE_ISSUED_DIR": "./issued",
    }
    issue = "mosquitto/issue-credentials"
    run(
        [issue, "init-ca", "--server-name", "mosquitto", "--server-name", "broker.example.org"],
        d,
        env,
    )
    shutil.copy(d / "mosquitto" / "acl", d / "broker" / "acl")
    run([issue, "password", "veille-collector"], d, env)
    shutil.copy(d / "issued" / "veille-collector.env", d / "compose" / "collector.env")
    (d / "secrets").mkdir(mode=0o700)
    (d / "secrets" / "grafana_admin_password").write_text(
        run(["openssl", "rand", "-base64", "24"], d)
    )
    shutil.copy(d / "inventory.example.toml", d / "compose" / "inventory.toml")
    return d


def resolved(deploy: Path, *profiles: str) -> dict[str, Any]:
    args = [a for p in profiles for a in ("--profile", p)]
    done = compose(deploy, *args, "config")
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = yaml.safe_load(done.stdout)
    return doc


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """container path -> host path of the service's bind mounts."""
    out = {}
    for v in service.get("volumes", []):
        host, container = v.split(":")[:2]
        if host.startswith("/"):
            out[container] = host
    return out


def test_the_file_is_valid_and_vmalert_is_in_the_alerts_profile(deploy: Path) -> None:
    services = resolved(deploy, "alerts")["services"]
    assert set(services) == SERVICES | {"vmalert"}
    assert [n for n, s in services.items() if s.get("profiles")] == ["vmalert"]
    assert services["vmalert"]["profiles"] == ["alerts"]
    rules = mounts(services["vmalert"])["/etc/veille/alerts"]
    assert sorted(p.name for p in Path(rules).glob("*.yml")) == sorted(
        p.name for p in (ROOT / "deploy" / "alerts").glob("*.yml")
    )


def test_a_wrong_key_is_refused(deploy: Path, tmp_path: Path) -> None:
    broken = deploy / "docker-compose.broken.yml"
    broken.write_text(
        (deploy / "docker-compose.yml")
        .read_text()
        .replace("    restart: unless-stopped\n", "    restrat: unless-stopped\n", 1)
    )
    done = compose(deploy, "-f", broken.name, "config", "-q")
    broken.unlink()
    assert done.returncode != 0
    assert "restrat" in done.stderr


def test_every_bind_mount_exists(deploy: Path) -> None:
    for name, service in resolved(deploy, "alerts")["services"].items():
        for container, host in mounts(service).items():
            assert Path(host).exists(), f"{name}: {host} -> {container}"


def test_the_broker_runs_the_shipped_configuration(deploy: Path) -> None:
    broker = resolved(deploy)["services"]["mosquitto"]
    m = mounts(broker)
    conf = Path(m["/mosquitto/config/mosquitto.conf"])
    assert conf.read_bytes() == (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_bytes()
    assert "-c /mosquitto/config/mosquitto.conf" in " ".join(broker["command"])
    # what the shipped configuration reads and writes, where it expects it
    assert Path(m["/etc/mosquitto/veille"], "passwd").exists()
    assert (
        Path(m["/etc/mosquitto/veille"], "acl").read_text()
        == (ROOT / "deploy" / "mosquitto" / "acl").read_text()
    )
    assert not Path(m["/etc/mosquitto/veille"], "ca-private").exists()  # CA key not mounted
    assert "mosquitto-data:/var/lib/mosquitto:rw" in broker["volumes"]
    assert {p["target"] for p in broker["ports"]} == {8883, 8884}


def test_grafana_gets_its_datasource_and_the_dashboards_folder(deploy: Path) -> None:
    doc = resolved(deploy)
    m = mounts(doc["services"]["grafana"])
    dashboards = Path(m["/var/lib/grafana/dashboards/veille"])
    assert dashboards == deploy.parent / "dashboards" / "json"
    assert len(list(dashboards.glob("*.json"))) >= 5
    provisioning = Path(m["/etc/grafana/provisioning"])
    providers = yaml.safe_load((provisioning / "dashboards" / "veille.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/veille"
    sources = yaml.safe_load((provisioning / "datasources" / "veille.yml").read_text())
    source = sources["datasources"][0]
    assert source["uid"] == "veille-victoriametrics"  # the dashboards refer to it
    assert source["url"] == "http://victoriametrics:8428"
    assert "victoriametrics" in doc["services"]


def test_the_collector_configuration_passes_the_collector_check(
    deploy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector = resolved(deploy)["services"]["collector"]
    for key, value in collector["environment"].items():
        monkeypatch.setenv(key, value)
    m = mounts(collector)
    cfg = load_config(Path(m["/etc/veille/collector.toml"]))
    assert cfg.mqtt.embedded is False
    assert (cfg.mqtt.host, cfg.mqtt.port) == ("mosquitto", 8883)
    assert cfg.mqtt.username == "veille-collector"
    assert cfg.mqtt.password is not None and len(cfg.mqtt.password.get_secret_value()) >= 24
    assert cfg.timeseries.url == "http://victoriametrics:8428"
    assert cfg.mqtt.tls is not None and str(cfg.mqtt.tls.ca_file) == "/etc/veille/ca.crt"
    assert Path(m["/etc/veille/ca.crt"]).read_text().startswith("-----BEGIN CERTIFICATE")
    # the collector's own whole check: config, inventory, SNMP profiles
    cli = Path(sys.executable).parent / "veille-collector"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
    check = subprocess.run(
        [str(cli), "check-config", "-c", m["/etc/veille/collector.toml"]],
        env={**env, **collector["environment"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "config OK" in check.stdout
    # the broker certificate names the compose service the collector connects to
    text = run(
        [
            "openssl",
            "x509",
            "-noout",
            "-ext",
            "subjectAltName",
            "-in",
            str(deploy / "broker" / "server.crt"),
        ],
        deploy,
    )
    assert "DNS:mosquitto" in text


def test_the_collector_image_copies_every_package() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    dockerfile = (ROOT / "deploy" / "compose" / "collector.Dockerfile").read_text()
    for package in packages:
        assert f"COPY {package} /src/{package}\n" in dockerfile, package
