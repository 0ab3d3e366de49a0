"""The mapping: GLPI entity, location and type to domain, site, kind and policy group."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from collector.glpi.assets import GlpiAsset
from collector.glpi.mapping import GlpiMapping, load_mapping, map_assets
from collector.inventory import Device, Exemption, Inventory
from contract.settings import ConfigError

DEPLOY = Path(__file__).parent.parent.parent / "deploy" / "glpi-mapping.example.toml"


@pytest.fixture
def mapping() -> GlpiMapping:
    return load_mapping(DEPLOY)


def pc(name: str | None, **kw: str | None) -> GlpiAsset:
    fields: dict[str, str | None] = {
        "entity": "Entité racine > Mairie > Services > Accueil",
        "location": "Hôtel de ville > Accueil",
        "type": "Ordinateur de bureau",
        "status": "En service",
        "serial": "S-" + (name or "x"),
    }
    fields.update(kw)
    return GlpiAsset(itemtype="Computer", where=f"line {name}", name=name, **fields)  # type: ignore[arg-type]


def test_the_deploy_example_maps_a_desktop_a_laptop_and_a_rack(mapping: GlpiMapping) -> None:
    assets = [
        pc("PC-ACCUEIL-01"),
        pc("LT-DSI-007", type="portable", entity="Entité racine > Mairie > DSI"),
        pc("SRV-APP-01", type="Serveur", location="Centre de données > Baie A > U12"),
        GlpiAsset("PDU", "pdu line", name="PDU-DC-A", location="Centre de données > Baie A"),
        GlpiAsset(
            "NetworkEquipment", "sw line", name="BORNE-HALL", type="Borne Wi-Fi",
            entity="Entité racine > Mairie > DSI > Réseaux", location="hôtel de ville",
        ),
    ]  # fmt: skip
    out = map_assets(assets, mapping, Inventory([]))
    assert out.problems == [] and out.skipped == []
    d = {x.id: x for x in out.devices}
    assert d["pc-accueil-01"] == Device(
        id="pc-accueil-01", kind="desktop", domain="Environnement utilisateur",
        site="hotel-de-ville", policy_group="workstations",
    )  # fmt: skip
    laptop = d["lt-dsi-007"]  # type matched case-insensitively; DSI has no entity rule
    assert (laptop.kind, laptop.domain, laptop.effective_domain) == (
        "laptop", "", "Environnement utilisateur"
    )  # fmt: skip
    srv = d["srv-app-01"]
    assert (srv.kind, srv.site, srv.datacentre, srv.pue_role, srv.metered_by) == (
        "server", "dc-centre", "dc-centre", "it", "pdu-dc-a"
    )  # fmt: skip
    pdu = d["pdu-dc-a"]  # its own rack's meter is itself: the room's meter is taken
    assert (pdu.kind, pdu.pue_role, pdu.metered_by) == ("pdu", "it", "meter-dc-centre")
    ap = d["borne-hall"]
    assert (ap.kind, ap.domain, ap.site) == (
        "access_point",
        "Réseaux et télécoms",
        "hotel-de-ville",
    )


def test_hand_kept_fields_survive_and_keep_patterns_are_kept(mapping: GlpiMapping) -> None:
    ex = Exemption(reason="astreinte de nuit", until=date(2027, 1, 31))
    existing = Inventory(
        [
            Device(
                id="pc-accueil-01", kind="laptop", idle_watts=30, max_watts=80, exemptions=(ex,)
            ),
            Device(id="meter-dc-centre", kind="facility_meter", pue_role="facility"),
            Device(id="pc-vendu-99", kind="desktop"),
        ]
    )
    out = map_assets([pc("PC-ACCUEIL-01")], mapping, existing)
    d = {x.id: x for x in out.devices}
    assert d["pc-accueil-01"].kind == "desktop"  # GLPI says so
    assert (d["pc-accueil-01"].idle_watts, d["pc-accueil-01"].exemptions) == (30, (ex,))
    assert out.kept == ["meter-dc-centre"] and "pc-vendu-99" not in d


def test_bad_rows_are_refused_with_where_and_why(mapping: GlpiMapping) -> None:
    m = mapping.model_copy(
        update={"device_id": mapping.device_id.model_copy(update={"source": "serial"})}
    )
    out = map_assets(
        [
            pc(None),
            pc("PC-A", serial=None),
            pc("PC-B", location="Centre technique > Garage"),
            pc("PC-C", location=None),
            pc("PC-D", serial="s-pc-a"),
            pc("PC-E", serial="S PC E"),
            pc("PC-F", status="Au rebut"),
            pc("PC-G", serial="S-PC-A"),
        ],
        m,
        Inventory([]),
    )
    reasons = [str(p) for p in out.problems]
    assert reasons[0] == "line None: missing name"
    assert reasons[1] == "line PC-A: Computer 'PC-A': missing serial (the device id comes from it)"
    assert "location 'Centre technique > Garage' matches no [[location]] rule" in reasons[2]
    assert "no location matches no [[location]] rule" in reasons[3]
    assert "id: String should match pattern" in reasons[4]  # 's pc e' has spaces
    assert reasons[5] == "line PC-G: Computer 'PC-G': device id 's-pc-a' also comes from line PC-D"
    assert [str(s) for s in out.skipped] == ["line PC-F: status 'Au rebut' is skipped"]
    assert len(reasons) == 6
    assert [d.id for d in out.devices] == ["s-pc-a"]  # PC-D's; PC-G's duplicate is refused


def test_default_site_takes_unmatched_locations(mapping: GlpiMapping) -> None:
    m = mapping.model_copy(update={"default_site": "autres-sites"})
    out = map_assets([pc("PC-B", location="Centre technique")], m, Inventory([]))
    assert [(d.id, d.site, d.datacentre) for d in out.devices] == [("pc-b", "autres-sites", None)]


def test_unknown_itemtype_rule_and_bad_mapping_keys(tmp_path: Path, mapping: GlpiMapping) -> None:
    m = mapping.model_copy(update={"itemtype": {}})
    out = map_assets([pc("PC-A")], m, Inventory([]))
    assert "itemtype Computer has no [itemtype.Computer] rule" in str(out.problems[0])
    bad = tmp_path / "m.toml"
    bad.write_text(
        '[itemtype.Computer]\nkind = "ordinateur"\n[itemtype.Printer]\nkind = "printer"\n'
    )
    with pytest.raises(ConfigError) as exc:
        load_mapping(bad)
    text = "; ".join(exc.value.problems)
    assert "itemtype.Computer.kind" in text and "unknown kind 'ordinateur'" in text
    assert "itemtype.Printer" in text
