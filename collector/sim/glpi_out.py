"""The simulated fleet as GLPI would export it, and the demo's import of those exports.

Writes what an authority's GLPI gives (GLPI's CSV export shape, French labels: see
:mod:`collector.glpi.csv_export`): ``computers.csv`` (workstations and servers),
``pdus.csv`` (rack PDUs) and ``networkequipment.csv`` (the PoE midspan), plus the part of the
inventory GLPI cannot hold, kept by hand: the UPS metering the room, and the laptops'
exemptions. The demo then imports the exports with ``collector/sim/glpi_mapping.toml``.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from collector.config import CollectorConfig
from collector.glpi.assets import Itemtype
from collector.glpi.command import ImportPlan, plan_import, print_plan, read_csv_sources
from collector.glpi.mapping import load_mapping
from collector.glpi.write import write_inventory
from collector.inventory import Device
from collector.sim.fleet import Fleet
from collector.sim.inventory_out import devices_toml, inventory_devices

MAPPING = Path(__file__).with_name("glpi_mapping.toml")
HEADER = ("Nom", "Entité", "Statut", "Fabricant", "Numéro de série", "Type", "Modèle", "Lieu")
ROOT = "Entité racine > Ville de Veille"
UPDATED = "2026-11-02 09:14"


def _line(values: tuple[str, ...] | list[str]) -> str:
    # GLPI quotes every value, writes " as '' and ends each line with the delimiter.
    return "".join('"' + v.replace('"', "''") + '";' for v in values) + "\n"


def _serial(device_id: str) -> str:
    return "CZC" + hashlib.sha256(device_id.encode()).hexdigest()[:7].upper()


def glpi_exports(fleet: Fleet) -> dict[str, tuple[Itemtype, str]]:
    """File name -> (itemtype, CSV text) of the fleet's GLPI exports."""
    computers = [
        [
            w.id,
            f"{ROOT} > Services",
            "En service",
            "Dell Inc." if w.kind == "desktop" else "LENOVO",
            _serial(w.id),
            "Ordinateur de bureau" if w.kind == "desktop" else "Portable",
            "OptiPlex 7010" if w.kind == "desktop" else "ThinkPad T14 Gen 3",
            "Hôtel de ville > Bureaux",
        ]
        for w in fleet.workstations
    ]
    racks = {p.id: f"Centre de données > Baie {p.id[-1].upper()}" for p in fleet.pdus}
    computers += [
        [
            s.id,
            f"{ROOT} > DSI > Centre de données",
            "En service",
            "HPE",
            _serial(s.id),
            "Serveur",
            "ProLiant DL360 Gen10",
            racks[s.pdu],
        ]
        for s in fleet.servers
    ]
    pdus = [
        [p.id, f"{ROOT} > DSI > Centre de données", "En service", p.walk, _serial(p.id),
         "PDU métré", p.walk, racks[p.id]]
        for p in fleet.pdus
    ]  # fmt: skip
    poe = [
        [fleet.poe.id, f"{ROOT} > DSI > Réseaux", "En service", "Microsemi", _serial(fleet.poe.id),
         "Injecteur PoE", "PD-9506G", "Hôtel de ville > Local technique"]
    ]  # fmt: skip
    files: dict[str, tuple[Itemtype, list[list[str]]]] = {
        "computers.csv": ("Computer", computers),
        "pdus.csv": ("PDU", pdus),
        "networkequipment.csv": ("NetworkEquipment", poe),
    }
    return {
        name: (itemtype, "\ufeff" + _line(HEADER) + "".join(_line(r) for r in rows))
        for name, (itemtype, rows) in files.items()
    }


def hand_kept(fleet: Fleet) -> list[Device]:
    """What the team keeps by hand: the facility meter, and the workstations' exemptions."""
    devices = [d for d in inventory_devices(fleet) if d.id == fleet.facility.id]
    devices += [
        Device(id=w.id, kind=w.kind, exemptions=(w.exemption,))
        for w in fleet.workstations
        if w.exemption
    ]
    return devices


def import_from_glpi(fleet: Fleet, output: Path, cfg: CollectorConfig) -> ImportPlan:
    """Write the exports and the hand-kept inventory, then import; the plan says what it did."""
    glpi = output / "glpi"
    glpi.mkdir(parents=True, exist_ok=True)
    sources: list[tuple[Itemtype, Path]] = []
    for name, (itemtype, text) in glpi_exports(fleet).items():
        (glpi / name).write_text(text, encoding="utf-8")
        sources.append((itemtype, glpi / name))
    assert cfg.inventory is not None
    cfg.inventory.write_text(
        devices_toml(hand_kept(fleet), ["# Kept by hand: what GLPI does not know."]), "utf-8"
    )
    mapping = load_mapping(MAPPING)
    plan = ImportPlan(target=cfg.inventory, domains=())
    assets = read_csv_sources(sources, mapping, plan)
    plan_import(cfg, mapping, cfg.inventory, assets, plan)
    if not plan.problems:
        write_inventory(cfg.inventory, plan.devices, plan.domains, plan.header())
    return plan


def plan_lines(plan: ImportPlan) -> list[str]:
    """The import's table for the demo's printout, three rows a section; a refused import
    stops the demo with its problems."""
    text = io.StringIO()
    print_plan(plan, text, limit=3)
    if plan.problems:
        raise SystemExit(f"the demo's GLPI import was refused:\n{text.getvalue()}")
    where = plan.target.parent / "glpi"
    return [f"GLPI CSV exports in {where}/, imported:", *text.getvalue().splitlines()]
