"""GLPI CSV exports (recorded in GLPI's shape: BOM, quoted values, a delimiter ending each line)."""

from __future__ import annotations

from pathlib import Path

from collector.glpi.csv_export import read_csv_export

CSV = Path(__file__).parent.parent / "fixtures" / "glpi" / "csv"


def test_french_export_with_semicolons() -> None:
    export = read_csv_export(CSV / "computers-fr.csv", "Computer")
    assert export.problems == []
    assert [a.name for a in export.assets] == [
        "PC-ACCUEIL-01", "PC-COMPTA-014", "LT-DSI-007", "SRV-APP-01", "PC-ANCIEN-03",
        "SRV-''LEGACY''",
    ]  # fmt: skip
    first = export.assets[0]
    assert first.where == "computers-fr.csv line 2"
    assert first.entity == "Entité racine > Mairie > Services"
    assert first.location == "Hôtel de ville > Accueil"
    assert (first.type, first.serial, first.status) == (
        "Ordinateur de bureau",
        "7XK2P53",
        "En service",
    )
    assert first.glpi_id is None and first.uuid is None  # not in this export
    assert export.fields == {"name", "entity", "status", "serial", "type", "location"}
    assert export.assets[3].where == "computers-fr.csv line 5"


def test_english_export_with_commas() -> None:
    export = read_csv_export(CSV / "pdus-en.csv", "PDU")
    assert export.problems == []
    assert [(a.name, a.serial, a.location) for a in export.assets] == [
        ("PDU-DC-A", "1G34567890", "Datacentre > Rack A"),
        ("PDU-DC-B", "ABEF0012345", "Datacentre > Rack B"),
    ]
    assert all(a.itemtype == "PDU" for a in export.assets)


def test_a_short_line_is_refused_with_its_number_and_the_rest_is_read() -> None:
    export = read_csv_export(CSV / "computers-bad.csv", "Computer")
    assert [str(p) for p in export.problems] == [
        "computers-bad.csv line 5: 3 values, the header has 6"
    ]
    assert [a.where for a in export.assets] == [
        "computers-bad.csv line 2", "computers-bad.csv line 3", "computers-bad.csv line 4",
        "computers-bad.csv line 6",
    ]  # fmt: skip
    assert export.assets[1].name is None  # the mapping refuses it, with its line


def test_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text('"Hostname";"Owner";\n"pc1";"bob";\n', encoding="utf-8")
    problems = read_csv_export(tmp_path / "x.csv", "Computer").problems
    assert [str(p) for p in problems] == ["x.csv line 1: no name column (looked for 'Nom', 'Name')"]
    assert [str(p) for p in read_csv_export(tmp_path / "none.csv", "Monitor").problems] == [
        "none.csv: file not found"
    ]
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert "empty file" in str(read_csv_export(tmp_path / "empty.csv", "PDU").problems[0])


def test_other_column_labels(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text('"Nom";"N° série";\n"pc1";"S1";\n', encoding="utf-8")
    export = read_csv_export(
        tmp_path / "c.csv", "Computer", {"name": ["Nom"], "serial": ["N° série"]}
    )
    assert export.assets[0].serial == "S1"
