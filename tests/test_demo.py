"""`veille-collector demo` end to end, as a newcomer runs it (shorter live phase, kept serving
for the dashboards' tests: the suite's one run, tests/demo_run.py): the figures, the reports,
and a simulated violator whose violation reaches every receiver, then its resolution once it
sleeps."""

from __future__ import annotations

import csv
import email
import email.policy
import json
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.demo_run import DemoRun

pytestmark = pytest.mark.integration


def _mails(out: Path) -> list[EmailMessage]:
    return [
        email.message_from_bytes(m.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for m in sorted((out / "alerts" / "mail").glob("*.eml"))
    ]


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_demo_prints_the_figures_and_writes_the_reports(demo_run: DemoRun) -> None:
    out, text = demo_run.out, demo_run.text
    assert "[7/7" in text  # progress went through every step
    assert re.search(r"Environnement utilisateur\s+\d+\.\d+", text)
    assert re.search(r"Environnement serveur\s+\d+\.\d+", text)
    pue = re.search(r"dc-centre: interim PUE (\d+\.\d+)", text)
    assert pue is not None and 1.3 <= float(pue.group(1)) <= 1.9, text
    violators = re.findall(
        r"^\s+(hdv-\S+) \(Environnement utilisateur\): (\d+) windows", text, re.M
    )
    assert violators, text
    assert "awake and idle" in text
    runs = re.findall(
        r"(\d+) alert events \((.*)\) → email, webhook, alertmanager, mqtt, gauge; .*: (\d+) "
        r"devices",
        text,
    )
    assert len(runs) == 2, text  # the morning after the violator's night, then at the end
    assert sum(int(n) for n, _k, _d in runs) >= len(violators) and int(runs[-1][2]) >= 1
    # the history ends where live reporting starts: no silence at the hand-over
    assert all("device_silent" not in kinds for _n, kinds, _d in runs), runs
    compliance = re.search(r"compliance: (\d+)% of (\d+) device-windows judged", text)
    assert compliance is not None and 0 < int(compliance.group(1)) < 100, text
    hooks = re.search(r"webhook: (\d+) calls received", text)
    assert hooks is not None and int(hooks.group(1)) >= 2, text  # the events, then the digest
    calls = (out / "alerts" / "webhook.jsonl").read_text().splitlines()
    assert len(calls) == int(hooks.group(1))
    subjects = [str(m["subject"]) for m in _mails(out)]
    assert any("hors politique de veille" in s for s in subjects), subjects  # the digest
    assert {v for v, _ in violators} <= {
        d for c in calls for d in re.findall(r'"device_id": ?"(hdv-[^"]+)"', c)
    }
    assert "Dead letters (rejected messages): 5" in text
    assert "not JSON" in text and "is negative" in text
    assert "Unassigned devices" in text  # the real agent of this machine is not in the inventory

    with (out / "energy_by_domain.csv").open() as fh:
        domains = {r["domain"]: float(r["kwh"]) for r in csv.DictReader(fh)}
    assert domains["Environnement utilisateur"] > 10
    with (out / "sleep_violations.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {v for v, _ in violators} <= {r["device_id"] for r in rows}
    html = (out / "report.html").read_text()
    assert "PUE" in html and "<svg" in html
    assert list((out / "quarterly").glob("*-T*.html"))
    # the footprint reports: quarter and year, French and English, and the public page
    foot = out / "footprint"
    for lang in ("fr", "en"):
        assert len(list(foot.glob(f"*-T?_{lang}.html"))) == 1
        assert len(list(foot.glob(f"20??_{lang}.html"))) == 1
    [public] = foot.glob("20??_public_fr.html")
    assert "hdv-" not in public.read_text(encoding="utf-8")  # no device id on the public page
    [quarter_csv] = foot.glob("*-T?_energy.csv")
    with quarter_csv.open(encoding="utf-8") as fh:
        energy = list(csv.DictReader(fh))
    [total] = [float(r["kwh"]) for r in energy if r["scope"] == "total"]
    assert sum(float(r["kwh"]) for r in energy if r["scope"] == "domain") == pytest.approx(total)
    fr = next(foot.glob("*-T?_fr.html")).read_text(encoding="utf-8")
    assert "Rapport énergétique du trimestre" in fr and "démo : chiffres inventés" in fr
    # the compliance figures (from the SQL tallies) and both carbon methods per datacentre
    [sleep_csv] = foot.glob("*-T?_sleep.csv")
    with sleep_csv.open(encoding="utf-8") as fh:
        sleep = {(r["scope"], r["name"]): r for r in csv.DictReader(fh)}
    judged = sleep[("total", "*")]
    assert int(judged["windows_violated"]) >= 1 and 0 < float(judged["compliance_rate"]) < 1
    assert any(scope == "night" for scope, _ in sleep) and ("group", "workstations") in sleep
    [dc_csv] = foot.glob("*-T?_datacentre_carbon.csv")
    with dc_csv.open(encoding="utf-8") as fh:
        dc_carbon = list(csv.DictReader(fh))
    assert {r["method"] for r in dc_carbon} == {"location", "market"}
    assert "contrat-vert" in {r["factor"] for r in dc_carbon if r["method"] == "market"}
    assert "Fenêtres de veille par nuit" in fr and "Carbone par centre de données" in fr


def _hook_events(out: Path, device_id: str) -> list[list[dict[str, Any]]]:
    """Per webhook call, the events about ``device_id`` (calls without any left out)."""
    calls = []
    for line in (out / "alerts" / "webhook.jsonl").read_text().splitlines():
        mine = [e for e in json.loads(line)["events"] if e["device_id"] == device_id]
        if mine:
            calls.append(mine)
    return calls


def _held(out: Path, run: str, device_id: str) -> list[dict[str, Any]]:
    """Alertmanager's alerts about ``device_id`` after ``run``, as its API v2 returned them."""
    alerts: list[dict[str, Any]] = json.loads(
        (out / "alerts" / f"alertmanager-{run}.json").read_text()
    )
    return [a for a in alerts if a["labels"].get("device_id") == device_id]


def test_the_simulated_violator_is_alerted_once_then_resolved_in_each_receiver(
    demo_run: DemoRun,
) -> None:
    out, text = demo_run.out, demo_run.text
    found = re.search(r"simulated violator (hdv-pc-\d+): awake over the window", text)
    assert found is not None, text
    pc = found.group(1)
    # the first run: one webhook call (the digest), one digest e-mail, one alert held
    [opened_call, resolved_call] = _hook_events(out, pc)
    [opened] = opened_call
    assert (opened["kind"], opened["state"], opened["ends_at"]) == (
        "violation_opened",
        "open",
        None,
    )
    key = opened["key"]
    [alert] = _held(out, "first-run", pc)
    assert alert["labels"]["violation"] == key
    assert alert["labels"]["alertname"] == "VeilleSleepViolation"
    assert alert["status"]["state"] == "active"
    mails = [m for m in _mails(out) if pc in _text(m)]
    digests = [m for m in mails if "hors politique de veille" in str(m["subject"])]
    assert len(digests) == 1, [m["subject"] for m in mails]
    # the last run, after the night it slept: the resolution in each
    [resolved] = resolved_call
    assert (resolved["kind"], resolved["key"]) == ("violation_resolved", key)
    ends = datetime.fromisoformat(resolved["ends_at"])
    assert datetime.fromisoformat(opened["starts_at"]) < ends < datetime.now(UTC)
    assert _held(out, "last-run", pc) == []  # Alertmanager resolved it: endsAt in the past
    notices = [m for m in mails if m not in digests]
    assert len(notices) == 1 and "Conforme à nouveau" in _text(notices[0])
    assert f"{pc} so far: webhook: 2 call(s) (violation_opened, violation_resolved)" in text
    assert "alertmanager: 0 alert(s) held" in text
