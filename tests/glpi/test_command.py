"""``veille-collector import-inventory`` end to end: CSV exports and a replayed GLPI API."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from collector.cli import main
from collector.inventory import load_inventory
from tests.glpi.replay import SESSION, GlpiReplay

ROOT = Path(__file__).parent.parent.parent
CSV = ROOT / "tests" / "fixtures" / "glpi" / "csv"
DEPLOY_MAPPING = ROOT / "deploy" / "glpi-mapping.example.toml"

EXISTING = """
[[device]]
id = "7xk2p53"
kind = "desktop"
idle_watts = 35.0
exemptions = [{ reason = "poste d'astreinte", until = 2027-01-31 }]

[[device]]
id = "meter-dc-centre"
kind = "facility_meter"
datacentre = "dc-centre"
pue_role = "facility"

[[device]]
id = "pc-vendu-99"
kind = "desktop"
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """collector.toml, the inventory it names, and a mapping whose device id is the serial."""
    mapping = tmp_path / "glpi-mapping.toml"
    text = DEPLOY_MAPPING.read_text(encoding="utf-8")
    mapping.write_text(text.replace('# source = "name"', 'source = "serial"'), encoding="utf-8")
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(EXISTING, encoding="utf-8")
    config = tmp_path / "collector.toml"
    config.write_text('inventory = "inventory.toml"\n[glpi]\nmapping = "glpi-mapping.toml"\n')
    return config, inventory, mapping


def run(capsys: pytest.CaptureFixture[str], *args: str, verbose: bool = False) -> tuple[int, str]:
    code = main([*(["-v"] if verbose else []), "import-inventory", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_dry_run_then_apply_then_nothing_left_to_do(
    setup: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, inventory, _ = setup
    before = inventory.read_bytes()
    code, out = run(capsys, "-c", str(config), "--csv", "Computer", str(CSV / "computers-fr.csv"))
    assert code == 0, out
    assert inventory.read_bytes() == before  # a dry run writes nothing
    assert "skipped computers-fr.csv line 6: status 'Au rebut' is skipped" in out
    assert "kept (not in GLPI, listed in `keep`): meter-dc-centre" in out
    assert " + 9jq4m21 " in out and " - pc-vendu-99 " in out
    assert " ~ 7xk2p53                  domain: - → Environnement utilisateur" in out
    assert "4 to add, 1 to change, 1 to remove, 1 unchanged" in out
    assert "dry run: nothing written" in out

    code, out = run(
        capsys, "-c", str(config), "--csv", "computer", str(CSV / "computers-fr.csv"), "--apply"
    )
    assert code == 0, out
    devices = load_inventory(inventory).devices
    assert sorted(devices) == [
        "7xk2p53", "9jq4m21", "cz10990abc", "cz21450lmn", "meter-dc-centre", "pf3x8k2l"
    ]  # fmt: skip
    kept = devices["7xk2p53"]
    assert (kept.site, kept.policy_group, kept.idle_watts) == (
        "hotel-de-ville",
        "workstations",
        35.0,
    )
    assert kept.exemptions[0].reason == "poste d'astreinte"
    legacy = devices["cz10990abc"]  # Baie B has no rule of its own: the room's meter
    assert (legacy.kind, legacy.metered_by, legacy.pue_role) == ("server", "meter-dc-centre", "it")
    assert devices["cz21450lmn"].metered_by == "pdu-dc-a"
    assert not [p for p in inventory.parent.iterdir() if p.name.startswith(".inventory")]

    code, out = run(capsys, "-c", str(config), "--csv", "Computer", str(CSV / "computers-fr.csv"))
    assert code == 0 and "0 to add, 0 to change, 0 to remove, 6 unchanged" in out


def test_a_bad_row_refuses_the_whole_import(
    setup: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, inventory, _ = setup
    before = inventory.read_bytes()
    code, out = run(
        capsys, "-c", str(config), "--mapping", str(DEPLOY_MAPPING), "--apply",
        "--csv", "Computer", str(CSV / "computers-fr.csv"),
        "--csv", "Computer", str(CSV / "computers-bad.csv"),
    )  # fmt: skip
    assert code == 2
    assert inventory.read_bytes() == before
    assert f"{inventory} is unchanged" in out
    assert "computers-fr.csv line 7: Computer \"SRV-''LEGACY''\": id: String should match" in out
    assert "computers-bad.csv line 3: missing name" in out
    assert "computers-bad.csv line 5: 3 values, the header has 6" in out
    assert (
        "computers-bad.csv line 4: Computer 'PC-GARAGE-02': location 'Centre technique > Garage'"
        in out
    )
    assert (
        "computers-bad.csv line 6: Computer 'pc-accueil-01': device id 'pc-accueil-01' also "
        "comes from computers-fr.csv line 2" in out
    )


def test_api_import_with_tokens_from_the_environment(
    setup: tuple[Path, Path, Path],
    glpi: GlpiReplay,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, inventory, _ = setup
    config.write_text(config.read_text() + f'url = "{glpi.url}"\npage_size = 2\n')
    monkeypatch.setenv("VEILLE_GLPI__USER_TOKEN", glpi.user_token)
    monkeypatch.setenv("VEILLE_GLPI__APP_TOKEN", glpi.app_token)
    caplog.set_level(logging.DEBUG)
    code, out = run(capsys, "-c", str(config), "--api", "--apply", verbose=True)
    assert code == 0, out
    assert "read from GLPI: 5 Computer, 1 Monitor, 2 NetworkEquipment, 1 PDU" in out
    devices = load_inventory(inventory).devices
    assert devices["cnj9k7l2m1"].kind == "access_point"
    assert devices["cnj9k7l2m1"].effective_domain == "Réseaux et télécoms"
    assert devices["cn0f5rnl7426"].kind == "monitor"
    # ids are serials here, so the PDU is not "pdu-dc-a" and its rack's rule applies to it;
    # the import says that the mapping names a meter the inventory does not have
    assert devices["1g34567890"].metered_by == "pdu-dc-a"
    assert "warning: metered_by 'pdu-dc-a' is no device of the inventory" in out
    assert "pc-vendu-99" not in devices and "czc4031xyz" not in devices
    assert glpi.endpoints()[0] == "initSession" and glpi.endpoints()[-1] == "killSession"
    for secret in (glpi.user_token, glpi.app_token, SESSION):
        assert secret not in out and secret not in caplog.text


def test_api_refusal_leaves_the_inventory(
    setup: tuple[Path, Path, Path],
    glpi: GlpiReplay,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, inventory, _ = setup
    before = inventory.read_bytes()
    config.write_text(config.read_text() + f'url = "{glpi.url}"\n')
    monkeypatch.setenv("VEILLE_GLPI__USER_TOKEN", "wrong-user-token")
    monkeypatch.setenv("VEILLE_GLPI__APP_TOKEN", glpi.app_token)
    code, out = run(capsys, "-c", str(config), "--api", "--apply")
    assert code == 1
    assert "ERROR_GLPI_LOGIN_USER_TOKEN" in out and "is unchanged" in out
    assert "wrong-user-token" not in out
    assert inventory.read_bytes() == before


def test_a_failed_write_keeps_the_old_file(
    setup: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, inventory, _ = setup
    before = inventory.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("collector.glpi.write.os.replace", disk_full)
    code, out = run(
        capsys, "-c", str(config), "--csv", "Computer", str(CSV / "computers-fr.csv"), "--apply"
    )
    assert code == 1 and "No space left on device" in out
    assert inventory.read_bytes() == before
    assert sorted(p.name for p in inventory.parent.iterdir()) == [
        "collector.toml", "glpi-mapping.toml", "inventory.toml"
    ]  # fmt: skip


def test_usage_errors_name_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys)
    assert code == 2
    assert "glpi.mapping: give --mapping FILE" in out
    assert "inventory: give --inventory FILE" in out
    assert "give --csv ITEMTYPE FILE (repeatable) or --api" in out
    code, out = run(capsys, "--csv", "Printer", "x.csv")
    assert code == 2 and "'Printer': itemtype is one of Computer, Monitor" in out
    code, out = run(
        capsys, "--api", "--mapping", str(DEPLOY_MAPPING), "--inventory", str(tmp_path / "i.toml")
    )
    assert code == 2 and "glpi.url: needed for --api" in out
