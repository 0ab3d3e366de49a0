"""Recordings parse as recorded, profiles load and agree with the recordings (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.snmp import decode
from collector.snmp.newprofile import read_offline
from collector.snmp.profiles import ProfileError, candidates, default_profiles, load_profiles
from collector.snmp.snmprec import SnmprecError, load_snmprec, parse_oid, parse_snmprec
from tests.snmp.conftest import DEVICES, SNMP_FIXTURES


@pytest.mark.parametrize("path", sorted(SNMP_FIXTURES.glob("*.snmprec")), ids=lambda p: p.stem)
def test_every_line_of_a_recording_is_a_record(path: Path) -> None:
    lines = [line for line in path.read_text().split("\n") if line.strip()]
    records = load_snmprec(path)
    assert len(records) == len(lines)
    assert [r.oid for r in records] == [parse_oid(line.split("|")[0]) for line in lines]


def test_values_are_kept_as_recorded() -> None:
    apc = {r.oid: r for r in load_snmprec(SNMP_FIXTURES / "apc_ap7900b.snmprec")}
    assert sum(r.value.endswith(" ") for r in apc.values()) == 5
    assert apc[parse_oid("1.3.6.1.2.1.1.1.0")].value.endswith("MD:08/07/2017) ")
    assert apc[parse_oid("1.3.6.1.2.1.2.2.1.6.2")].tag == "4x"
    sb = {r.oid: r for r in load_snmprec(SNMP_FIXTURES / "schleifenbauer.snmprec")}
    assert parse_oid(sb[parse_oid("1.3.6.1.2.1.1.2.0")].value) == (1, 3, 6, 1, 4, 1, 31034, 11, 1)


def test_bad_lines_name_the_line() -> None:
    with pytest.raises(SnmprecError, match=r"x.snmprec:2: unknown type tag '99'"):
        parse_snmprec("1.3.6.1.2.1.1.3.0|67|5\n1.3.6.1.2.1.1.4.0|99|x\n", source="x.snmprec")
    with pytest.raises(SnmprecError, match=r":1: '1.3.a' is not a numeric OID"):
        parse_snmprec("1.3.a|2|5\n")
    with pytest.raises(SnmprecError, match=r":1: expected OID\|TAG\|VALUE"):
        parse_snmprec("1.3.6|2\n")


def test_shipped_profiles_load() -> None:
    profiles = default_profiles()
    assert {
        "ups_mib", "entity_sensor", "power_ethernet", "eman", "apc_rpdu", "apc_rpdu2", "apc_ups",
        "eaton_epdu", "eaton_xups", "raritan_pdu2", "sentry4", "liebert_pdu", "schleifenbauer",
        "dell_rpdu", "dell_ups", "ppc_eppc_ups",
    } <= set(profiles)  # fmt: skip
    for profile in profiles.values():
        assert profile.totals or profile.estimate is not None


def test_a_bad_profile_names_its_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        'name = "bad"\nkind = "pdu"\nvendor = "x"\nmib = "x"\nsource = "pdu_inlet"\n'
        '[[power]]\noid = "1.3.6.x"\n'
    )
    with pytest.raises(ProfileError, match=r"bad.toml: power.0.oid: .*not a numeric OID"):
        load_profiles(tmp_path)
    (tmp_path / "bad.toml").write_text(
        'name = "bad"\nkind = "pdu"\nvendor = "x"\nmib = "x"\nsource = "pdu_inlet"\n'
        '[[power]]\noid = "1.3.6.1"\nrole = "breakdown"\n'
    )
    with pytest.raises(ProfileError, match="role = 'total'"):
        load_profiles(tmp_path)


def test_index_first_keeps_a_group_of_scalars_and_needs_a_table(tmp_path: Path) -> None:
    profile = default_profiles()["ppc_xppc_3phase_ups"]
    assert profile.estimate is not None
    raw = read_offline(profile, load_snmprec(SNMP_FIXTURES / "netagent2.snmprec"))
    rows = decode.rows_of(profile.estimate.load, raw)
    # Objects 1-4 of the output group (frequency, voltages) are not loads.
    assert [(r.index, r.value) for r in rows] == [((5, 0), 23.5), ((6, 0), 32.7), ((7, 0), 32.7)]
    (tmp_path / "bad.toml").write_text(
        'name = "bad"\nkind = "pdu"\nvendor = "x"\nmib = "x"\nsource = "pdu_inlet"\n'
        '[[power]]\noid = "1.3.6.1"\nindex_first = [5]\n'
    )
    with pytest.raises(ProfileError, match=r"bad.toml: power.0: .*index_first .*table = true"):
        load_profiles(tmp_path)


def test_sys_object_id_orders_the_candidates() -> None:
    profiles = default_profiles()
    apc = [p.name for p in candidates(profiles, parse_oid("1.3.6.1.4.1.318.1.3.4.8"))]
    assert apc[:2] == ["apc_rpdu2", "apc_rpdu"]
    liebert = [p.name for p in candidates(profiles, parse_oid("1.3.6.1.4.1.476.1.42"))]
    assert liebert[0] == "liebert_pdu"
    unknown = [p.name for p in candidates(profiles, None)]
    assert unknown.index("eman") < unknown.index("entity_sensor") < unknown.index("ups_mib")
    assert unknown.index("ups_mib") < unknown.index("power_ethernet")


@pytest.mark.parametrize("device", DEVICES, ids=[d["name"] for d in DEVICES])
def test_the_total_comes_from_the_object_librenms_reads(device: dict[str, object]) -> None:
    """Decoding the recording offline picks exactly the OIDs expected.json counts in the total."""
    records = load_snmprec(SNMP_FIXTURES / f"{device['name']}.snmprec")
    values = {r.oid: int(r.value) for r in records if r.tag in ("2", "65", "66", "67", "70")}
    readings = device["readings"]
    assert isinstance(readings, list)
    wanted = {parse_oid(r["sensor_oid"]) for r in readings if r.get("counts_toward_total")}
    if "expected_total_oids" in device:  # LibreNMS reads no total; the entry says which one
        wanted = {parse_oid(o) for o in device["expected_total_oids"]}  # type: ignore[attr-defined]
    if device.get("expected_quality") == "estimated":
        # A load-only UPS: the estimate reads the object LibreNMS reads as the load.
        wanted = {parse_oid(r["sensor_oid"]) for r in readings if r["sensor_class"] == "load"}
        if "expected_load_oids" in device:  # LibreNMS files the phase loads as VA (eaton-mgeups)
            wanted = {parse_oid(o) for o in device["expected_load_oids"]}  # type: ignore[attr-defined]
        profile = default_profiles()[str(device["expected_profile"])]
        assert profile.estimate is not None and not profile.power
        raw = read_offline(profile, records)
        rows = decode.rows_of(profile.estimate.load, raw)
        assert {profile.estimate.load.oid_tuple + r.index for r in rows} == wanted
        return
    for profile in candidates(default_profiles(), None):
        scalars, columns = decode.needed_oids(profile)
        raw = decode.RawData(
            {o: values.get(o) for o in scalars},
            {c: {o[len(c) :]: v for o, v in values.items() if o[: len(c)] == c} for c in columns},
        )
        found = decode.total_power(profile, raw)
        if found is None:
            continue
        spec, rows = found
        used = {spec.oid_tuple + row.index for row in rows} if spec.table else {spec.oid_tuple}
        if used == wanted:
            assert sum(r.value for r in rows) == device["expected_power_w"]
            return
    pytest.fail(f"no profile reads {sorted(wanted)}")
