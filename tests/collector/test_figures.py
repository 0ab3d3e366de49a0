"""The analysis figures on /metrics: computed from a real ledger, exported once each, and
absent (never 0) where the analysis has no figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import Gauge, generate_latest

from collector.config import CollectorConfig
from collector.figures import DomainCompliance, Figures, PueFigure, compute_figures
from collector.figures_metrics import FiguresCollector
from collector.inventory import Device, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.metrics import CollectorMetrics
from collector.model import Sample
from contract.schema import Quality
from tests.exposition import series

# Tuesday 17 November 2026, 10:00 UTC = 11:00 in Paris: "today" began at 23:00 UTC.
NOW = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
SRV = "Environnement serveur"


def _power(device: str, watts: float, start: datetime, hours: int) -> list[Sample]:
    return [
        Sample(
            device,
            start + timedelta(minutes=5 * i),
            "power_watts",
            watts,
            "pdu_inlet",
            Quality.MEASURED,
        )
        for i in range(hours * 12 + 1)
    ]


def test_figures_from_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.migrate()
    inv = Inventory(
        [
            Device(id="meter", kind="facility_meter", domain=SRV, datacentre="dc"),
            Device(id="pdu", kind="pdu", domain=SRV, datacentre="dc", metered_by="meter"),
            Device(id="pc", kind="desktop"),
            Device(id="screen", kind="monitor"),  # nothing reports for a monitor
        ]
    )
    # 14 h before NOW: 1500 W at the meter, 1000 W of IT behind it -> PUE 1.5 exactly.
    start = NOW - timedelta(hours=14)
    ledger.write_samples(_power("meter", 1500.0, start, 14) + _power("pdu", 1000.0, start, 14))
    cfg = CollectorConfig.model_validate(
        {
            "carbon": {
                "contracts": [
                    {
                        "name": "vert",
                        "datacentres": ["dc"],
                        "share": 0.5,
                        "renewable_share": 1.0,
                        "factor": "green_contract",
                        "source": "t",
                        "year": 2026,
                    }
                ]
            },
            "analysis": {"pue_limits": {"dc": 1.4}},
        }
    )
    recompute(ledger, inv, cfg, start=start, end=NOW, now=NOW)
    f = compute_figures(ledger, inv, cfg, now=NOW)

    today = {e.domain: e.kwh for e in f.energy if e.period == "today"}
    quarter = {e.domain: e.kwh for e in f.energy if e.period == "quarter"}
    # The analysis reads [start, NOW): the last sample read is at 09:55, so 5 minutes short.
    assert today[SRV] == pytest.approx(1.5 * (11 - 1 / 12))  # from 23:00 UTC, PDU inside
    assert quarter[SRV] == pytest.approx(1.5 * (14 - 1 / 12))
    assert f.measured_share("quarter") == pytest.approx(1.0)
    assert f.measured_share("today") == pytest.approx(1.0)
    interim = next(p for p in f.pue if p.period == "interim")
    assert interim.pue == pytest.approx(1.5) and interim.ref == 0.5
    assert interim.category == "category 2 (PDU output)"
    assert dict(interim.cue_kg_per_kwh)["grid_fr"] == pytest.approx(1.5 * 60 / 1000)
    annual = next(p for p in f.pue if p.period == "annual")
    assert annual.pue == pytest.approx(1.5) and annual.coverage < interim.coverage
    assert f.pue_limits == (("dc", 1.4),)
    (now,) = f.instant
    assert (now.facility_watts, now.it_watts, now.ratio) == (1500.0, 1000.0, 1.5)
    (power,) = f.power
    assert (power.domain, power.watts) == (SRV, 1500.0)  # the PDU is inside the meter
    assert dict(f.devices_expected) == {"desktop": 1, "facility_meter": 1, "pdu": 1}
    assert dict(f.devices_reporting) == {"facility_meter": 1, "pdu": 1}


def test_each_series_once_and_no_figure_is_no_series() -> None:
    m = CollectorMetrics()
    empty = series(generate_latest(m.registry).decode())
    assert not any(name.startswith(("veille_pue", "veille_energy")) for name, _ in empty)
    m.figures.set(
        Figures(
            at=NOW,
            pue=(
                PueFigure("dc", "interim", "category 1 (UPS output)", 1.42, 0.9, None, ()),
                PueFigure("dc", "annual", "category 1 (UPS output)", None, 0.1, None, ()),
            ),
            pue_limits=(("dc", 1.5),),
            violation_windows=(("pc-7", "Environnement utilisateur", 3),),
            compliance=(
                DomainCompliance("Impression", None, (("unknown", 4),), (("quarter", 0.0),)),
                DomainCompliance(
                    "Environnement utilisateur", 0.75, (("compliant", 3),), (("quarter", 2.5),)
                ),
            ),
        )
    )
    got = series(generate_latest(m.registry).decode())
    pue = {k: v for k, v in got.items() if k[0] == "veille_pue"}
    assert pue == {
        (
            "veille_pue",
            (("category", "category 1 (UPS output)"), ("datacentre", "dc"), ("period", "interim")),
        ): 1.42
    }  # the annual PUE has no figure: no series, not 0
    assert got[("veille_pue_limit", (("datacentre", "dc"),))] == 1.5
    assert got[("veille_pue_coverage", (("datacentre", "dc"), ("period", "annual")))] == 0.1
    key = (
        "veille_sleep_violation_windows",
        (("device_id", "pc-7"), ("domain", "Environnement utilisateur")),
    )
    assert got[key] == 3
    assert not any(name == "veille_ref" for name, _ in got)
    ratio = {k[1]: v for k, v in got.items() if k[0] == "veille_sleep_compliance_ratio"}
    assert ratio == {(("domain", "Environnement utilisateur"),): 0.75}  # unknown only: none
    unknown = ("veille_sleep_windows", (("domain", "Impression"), ("outcome", "unknown")))
    assert got[unknown] == 4
    assert got[("veille_figures_timestamp_seconds", ())] == NOW.timestamp()


def test_a_second_registration_of_a_figure_name_is_refused() -> None:
    m = CollectorMetrics()
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Gauge("veille_pue", "again", registry=m.registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        m.registry.register(FiguresCollector())


def test_an_empty_ledger_gives_empty_figures(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.migrate()
    inv = Inventory([Device(id="meter", kind="facility_meter", datacentre="dc")])
    f = compute_figures(ledger, inv, CollectorConfig(), now=NOW)
    assert f.energy == () and f.power == () and f.compliance == ()
    assert all(p.pue is None for p in f.pue)  # no IT meter, no energy: no PUE, never 0
    assert f.measured_share("quarter") is None
    assert dict(f.devices_expected) == {"facility_meter": 1} and f.devices_reporting == ()
