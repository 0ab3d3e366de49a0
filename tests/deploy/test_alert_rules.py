"""The shipped alert rules (deploy/alerts/*.yml) pass `promtool test rules`, and say enough.

Each rule group has its promtool test file in deploy/alerts/tests/, with input series that fire
and series that must not; every alert is expected to fire at least once and to be silent at
least once. To show the tests depend on their input, each is run again without its input
series: then promtool must fail.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "alerts"
RULE_FILES = sorted(ALERTS.glob("*.yml"))
TEST_FILES = sorted((ALERTS / "tests").glob("*_test.yml"))


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        raise RuntimeError("promtool is not installed: run `make test`, which installs it")
    return subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def rules(path: Path) -> list[dict[str, Any]]:
    doc = yaml.safe_load(path.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_every_rule_file_has_its_test_file() -> None:
    assert len(RULE_FILES) == 5
    assert [p.name.replace("_test", "") for p in TEST_FILES] == [p.name for p in RULE_FILES]


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rules_are_valid_and_documented(path: Path) -> None:
    done = promtool("check", "rules", path.name, cwd=ALERTS)
    assert done.returncode == 0, done.stdout + done.stderr
    for rule in rules(path):
        assert rule["alert"].startswith("Veille"), rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")
        for key in ("summary", "description", "runbook"):
            assert len(rule["annotations"].get(key, "")) > 20, f"{rule['alert']}: {key}"


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_promtool_test_rules(path: Path) -> None:
    done = promtool("test", "rules", path.name, cwd=path.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_every_alert_is_seen_firing_and_silent(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    firing: set[str] = set()
    silent: set[str] = set()
    for case in doc["tests"]:
        for check in case["alert_rule_test"]:
            (firing if check["exp_alerts"] else silent).add(check["alertname"])
    names = {rule["alert"] for rule in rules(ALERTS / path.name.replace("_test", ""))}
    assert firing == names
    assert silent == names


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_without_input_the_expected_alerts_do_not_fire(path: Path, tmp_path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    for case in doc["tests"]:
        case["input_series"] = []
    doc["rule_files"] = [str(ALERTS / Path(f).name) for f in doc["rule_files"]]
    (tmp_path / path.name).write_text(yaml.safe_dump(doc))
    done = promtool("test", "rules", path.name, cwd=tmp_path)
    assert done.returncode != 0
    assert "FAILED" in done.stdout + done.stderr
