"""The demo's inventory comes from a GLPI export of its simulated fleet, and loses nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from collector.cli import main
from collector.config import CollectorConfig
from collector.glpi.csv_export import read_csv_export
from collector.inventory import load_inventory
from collector.sim.fleet import build_fleet
from collector.sim.glpi_out import MAPPING, glpi_exports, import_from_glpi, plan_lines


def test_demo_import_gives_the_simulated_inventory(tmp_path: Path) -> None:
    fleet = build_fleet(7, today=date(2026, 11, 17))
    cfg = CollectorConfig.model_validate({"inventory": str(tmp_path / "inventory.toml")})
    plan = import_from_glpi(fleet, tmp_path, cfg)
    assert plan.problems == [] and plan.warnings == []
    assert plan.kept == [fleet.facility.id]
    # 2 laptops carry hand-kept exemptions: GLPI fills in the rest of their lines
    assert (len(plan.diff.added), len(plan.diff.changed), len(plan.diff.removed)) == (47, 2, 0)
    got = load_inventory(tmp_path / "inventory.toml").devices
    # Power profiles have no GLPI field and the collector does not use them: left out.
    want = {
        d.id: d.model_copy(update={"idle_watts": None, "max_watts": None})
        for d in fleet.inventory_devices()
    }
    assert got == want
    lines = plan_lines(plan)
    assert lines[0].startswith("GLPI CSV exports in ") and "47 to add, 2 to change" in lines[-1]


def test_demo_exports_have_glpi_shape(tmp_path: Path) -> None:
    fleet = build_fleet(7, today=date(2026, 11, 17))
    exports = glpi_exports(fleet)
    itemtype, text = exports["computers.csv"]
    assert itemtype == "Computer" and text.startswith('\ufeff"Nom";"Entité";')
    assert all(line.endswith('";') for line in text.splitlines())
    path = tmp_path / "computers.csv"
    path.write_text(text, encoding="utf-8")
    export = read_csv_export(path, "Computer")
    assert export.problems == [] and len(export.assets) == len(fleet.agents())


def test_the_command_line_reproduces_the_demo_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = build_fleet(7, today=date(2026, 11, 17))
    cfg = CollectorConfig.model_validate({"inventory": str(tmp_path / "inventory.toml")})
    import_from_glpi(fleet, tmp_path, cfg)
    glpi = tmp_path / "glpi"
    code = main(
        [
            "import-inventory", "--mapping", str(MAPPING), "--inventory", str(cfg.inventory),
            "--csv", "Computer", str(glpi / "computers.csv"),
            "--csv", "PDU", str(glpi / "pdus.csv"),
            "--csv", "NetworkEquipment", str(glpi / "networkequipment.csv"),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 to add, 0 to change, 0 to remove, 50 unchanged" in out
