"""The dry run's diff, and the atomic write of the inventory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from collector.glpi.diff import diff_inventories, render_diff
from collector.glpi.write import write_inventory
from collector.inventory import Device, Exemption, load_inventory


def test_diff_added_changed_removed_unchanged() -> None:
    old = {
        "a": Device(id="a", kind="desktop", site="s1"),
        "b": Device(id="b", kind="desktop"),
        "c": Device(id="c", kind="server"),
    }
    new = [Device(id="a", kind="laptop", site="s1"), Device(id="b", kind="desktop"),
           Device(id="d", kind="switch", site="s2")]  # fmt: skip
    d = diff_inventories(old, new)
    assert [x.id for x in d.added] == ["d"] and [x.id for x in d.removed] == ["c"]
    assert [(c.device_id, c.fields) for c in d.changed] == [("a", (("kind", "desktop", "laptop"),))]
    assert d.unchanged == 1 and not d.empty
    table = render_diff(d).splitlines()
    assert table[1].startswith(" + d ") and "Réseaux et télécoms" in table[1]
    assert table[2] == " ~ a                        kind: desktop → laptop"
    assert table[3].startswith(" - c ")
    assert table[-1] == "1 to add, 1 to change, 1 to remove, 1 unchanged"
    assert diff_inventories(old, list(old.values())).empty


def test_render_limit_counts_the_rest() -> None:
    d = diff_inventories({}, [Device(id=f"pc-{i}", kind="desktop") for i in range(5)])
    text = render_diff(d, limit=2)
    assert "pc-1" in text and "pc-2" not in text and "… and 3 more" in text


def test_write_round_trips_with_custom_domains(tmp_path: Path) -> None:
    devices = [
        Device(id="pc-1", kind="desktop", domain="Mairie annexe", site="annexe",
               exemptions=(Exemption(reason="salle de crise", until=date(2027, 3, 1)),)),
        Device(id="sw-1", kind="switch", metered_by="pc-1"),
    ]  # fmt: skip
    target = tmp_path / "inventory.toml"
    write_inventory(target, devices, ("Mairie annexe", "Réseaux et télécoms"), ["# test"])
    inv = load_inventory(target)
    assert list(inv.devices.values()) == devices
    assert inv.domains == ("Mairie annexe", "Réseaux et télécoms")
    assert target.read_text(encoding="utf-8").startswith("# test\ndomains = [")
    assert target.stat().st_mode & 0o777 == 0o644
    target.chmod(0o640)
    write_inventory(target, devices[:1], ("Mairie annexe",))
    assert target.stat().st_mode & 0o777 == 0o640 and len(load_inventory(target)) == 1
    with pytest.raises(ValueError, match=r"name the file \.toml"):
        write_inventory(tmp_path / "inventory.csv", devices, ())
