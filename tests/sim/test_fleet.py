"""The simulated fleet: deterministic, and a valid inventory that round-trips through TOML."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from collector.domains import DOMAINS
from collector.inventory import load_inventory
from collector.sim.fleet import Fleet, build_fleet
from tests.sim.conftest import SEED, TODAY


def test_same_seed_same_fleet_other_seed_other_fleet() -> None:
    assert build_fleet(SEED, today=TODAY) == build_fleet(SEED, today=TODAY)
    assert (
        build_fleet(SEED, today=TODAY).inventory_toml()
        == build_fleet(SEED, today=TODAY).inventory_toml()
    )
    assert (
        build_fleet(SEED + 1, today=TODAY).workstations
        != build_fleet(SEED, today=TODAY).workstations
    )


def test_counts_and_kinds(fleet: Fleet) -> None:
    kinds = Counter(d.kind for d in fleet.inventory_devices())
    assert kinds == {
        "desktop": 24,
        "laptop": 16,
        "server": 6,
        "pdu": 2,
        "facility_meter": 1,
        "poe_midspan": 1,
    }
    small = build_fleet(3, desktops=5, laptops=2, servers=3, today=TODAY)
    assert Counter(d.kind for d in small.inventory_devices())["desktop"] == 5
    assert len(small.agents()) == 10


def test_share_of_insomniacs(fleet: Fleet) -> None:
    desktops = [w for w in fleet.workstations if w.kind == "desktop"]
    laptops = [w for w in fleet.workstations if w.kind == "laptop"]
    desk_share = sum(w.insomnia is not None for w in desktops) / len(desktops)
    lap_share = sum(w.insomnia is not None for w in laptops) / len(laptops)
    assert 0.15 <= desk_share <= 0.25
    assert 0 < lap_share < desk_share
    disabled = [w for w in fleet.workstations if w.insomnia and w.insomnia.blocker is None]
    assert all(w.sleep_after_seconds == 0 for w in disabled)


def test_inventory_lines(fleet: Fleet) -> None:
    devices = {d.id: d for d in fleet.inventory_devices()}
    assert all(d.effective_domain in DOMAINS for d in devices.values())
    for d in devices.values():
        if d.kind in ("desktop", "laptop"):
            assert d.policy_group == "workstations"
            assert d.idle_watts is not None and d.max_watts is not None
            assert d.idle_watts < d.max_watts
    facility = [d for d in devices.values() if d.pue_role == "facility"]
    assert [d.kind for d in facility] == ["facility_meter"]
    for d in devices.values():
        if d.kind == "server":
            pdu = devices[d.metered_by or ""]
            assert pdu.kind == "pdu" and pdu.pue_role == "it"
            assert pdu.metered_by == facility[0].id
            assert d.datacentre == pdu.datacentre == facility[0].datacentre
            assert d.idle_watts is not None and d.max_watts is not None
            assert 110 <= d.idle_watts <= 140 and 300 <= d.max_watts <= 380
    exemptions = [e for d in devices.values() for e in d.exemptions]
    assert sorted(e.until > TODAY for e in exemptions) == [False, True]
    exempt = [d for d in devices.values() if d.exemptions]
    assert {d.kind for d in exempt} == {"laptop"}
    assert sum(d.exempt_on(TODAY) is not None for d in exempt) == 1


def test_inventory_toml_round_trips(fleet: Fleet, tmp_path: Path) -> None:
    path = tmp_path / "inventory.toml"
    path.write_text(fleet.inventory_toml(), encoding="utf-8")
    loaded = load_inventory(path)
    expected = {d.id: d for d in fleet.inventory_devices()}
    assert len(loaded) == len(expected)
    assert loaded.devices == expected
