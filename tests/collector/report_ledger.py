"""A ledger with known hourly kWh over 2025-T3, 2026-T2 and 2026-T3 (Paris), for the report
tests: every figure the report prints can be worked out by hand from :data:`RATES`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from collector.analysis.energy import HourlyEnergy
from collector.analysis.periods import period_of
from collector.inventory import Device, Inventory
from collector.ledger import Ledger, daily

TZ = "Europe/Paris"
SERVER, USER, NET = "Environnement serveur", "Environnement utilisateur", "Réseaux et télécoms"
INV = Inventory(
    [
        Device(id="dc-meter", kind="facility_meter", datacentre="dc1", domain=SERVER),
        Device(id="ups-1", kind="ups", datacentre="dc1", metered_by="dc-meter", domain=SERVER),
        Device(id="srv-1", kind="server", metered_by="ups-1", domain=SERVER),
        Device(id="pc-1", kind="desktop", site="Mairie", domain=USER),
        Device(id="pc-2", kind="desktop", site="Annexe", domain=USER),
        Device(id="sw-1", kind="switch", site="Mairie", domain=NET),
    ]
)
#: kWh per hour in 2026-T3; 2026-T2 is 1.1 times it, 2025-T3 1.2 times.
RATES = {"dc-meter": 1.5, "ups-1": 1.0, "srv-1": 0.5, "pc-1": 0.05, "pc-2": 0.05, "sw-1": 0.1}
SCALE = {"2026-T3": 1.0, "2026-T2": 1.1, "2025-T3": 1.2}
#: what each domain counts per hour (the UPS and server are inside the facility meter)
COUNTED = {SERVER: 1.5, USER: 0.1, NET: 0.1}

CONFIG = """
inventory = "inventory.csv"

[ledger]
url = "sqlite:///{db}"

[baseline]
year = 2021
source = "Bilan 2021 (test)"
target_reduction = 0.20
target_year = 2030

[baseline.domains."Environnement serveur"]
kwh = 13000.0
tco2e = 0.9

[baseline.domains."Environnement utilisateur"]
kwh = 1000.0
tco2e = 0.06
"""


def _row(dev: str, hour: object, kwh: float) -> HourlyEnergy:
    assert hasattr(hour, "tzinfo")
    return HourlyEnergy(
        device_id=dev,
        hour=hour,  # type: ignore[arg-type]
        kwh=kwh,
        coverage=1.0,
        measured_kwh=kwh,
        estimated_kwh=0.0,
        source="power",
        resets=0,
        covered=((0.0, 3600.0),),
        slot_kwh=tuple([kwh / 12] * 12),
    )


def fill(ledger: Ledger) -> None:
    for label, scale in SCALE.items():
        year, q = int(label[:4]), int(label[-1])
        p = period_of("quarter", date(year, 3 * q - 2, 1), TZ)
        hours = [p.start + timedelta(hours=h) for h in range(p.hours)]
        for dev, rate in RATES.items():
            rows = [_row(dev, h, rate * scale) for h in hours]
            ledger.replace_hourly(dev, rows)
            daily.refresh_days(ledger.engine, ledger.hourly_for, dev, hours, TZ)


def write_setup(directory: Path) -> Path:
    """The ledger, the inventory CSV and collector.toml in ``directory``; returns the TOML."""
    db = directory / "ledger.sqlite"
    ledger = Ledger(f"sqlite:///{db}")
    ledger.migrate()
    fill(ledger)
    ledger.close()
    lines = ["id,kind,site,datacentre,metered_by,domain"]
    for d in INV.devices.values():
        lines.append(
            f"{d.id},{d.kind},{d.site},{d.datacentre or ''},{d.metered_by or ''},{d.domain}"
        )
    (directory / "inventory.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    toml = directory / "collector.toml"
    toml.write_text(CONFIG.format(db=db), encoding="utf-8")
    return toml
