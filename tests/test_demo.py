"""`veille-collector demo` end to end, as a newcomer runs it (shorter live phase)."""

from __future__ import annotations

import csv
import email
import email.policy
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_demo_prints_the_figures_and_writes_the_reports(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "collector.cli",
            "demo",
            "--live-seconds",
            "8",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    text = res.stdout
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
    alerts = re.search(
        r"(\d+) alert events \(.*\) → email, webhook, mqtt, gauge; .*: (\d+) devices", text
    )
    assert alerts is not None, text
    assert int(alerts.group(1)) >= len(violators) and int(alerts.group(2)) >= 1
    compliance = re.search(r"compliance: (\d+)% of (\d+) device-windows judged", text)
    assert compliance is not None and 0 < int(compliance.group(1)) < 100, text
    hooks = re.search(r"webhook: (\d+) calls received", text)
    assert hooks is not None and int(hooks.group(1)) >= 2, text  # the events, then the digest
    calls = (out / "alerts" / "webhook.jsonl").read_text().splitlines()
    assert len(calls) == int(hooks.group(1))
    mails = sorted((out / "alerts" / "mail").glob("*.eml"))
    subjects = [
        str(email.message_from_bytes(m.read_bytes(), policy=email.policy.default)["subject"])
        for m in mails
    ]
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
