"""The in-process responder is real SNMP: net-snmp's own tools read every recorded line back."""

from __future__ import annotations

import asyncio
import subprocess

import pytest
from pydantic import SecretStr

from collector.config import SnmpV3
from collector.snmp.client import Endpoint, SnmpClient, SnmpValue
from collector.snmp.responder import SnmpResponder
from collector.snmp.snmprec import Oid, Record, format_oid
from tests.snmp.conftest import recording

pytestmark = pytest.mark.integration

NAMES = [
    "apc_ap7900b", "deltaups", "eatonups", "liebert", "microsemipdsine",
    "raritan-pdu_px2", "schleifenbauer", "sentry4",
]  # fmt: skip


def _netsnmp(tool: str, community: str, port: int, *oids: str) -> dict[str, str]:
    """OID -> value as net-snmp prints it (-Ox: strings in hex, -Ot: raw timeticks)."""
    out = subprocess.run(
        [tool, "-v2c", "-c", community, "-On", "-Oq", "-Ot", "-Oe", "-OU", "-Ox",
         "-r", "1", "-t", "2", f"127.0.0.1:{port}", *oids],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    found: dict[str, str] = {}
    last = ""
    for line in out.splitlines():
        if line.startswith("."):
            last, _, value = line.partition(" ")
            if value.startswith("No more variables"):  # endOfMibView, after the last one
                break
            found[last.lstrip(".")] = value
        else:  # a long hex string goes on over several lines
            found[last.lstrip(".")] += " " + line
    return found


def _expected(record: Record) -> str:
    if record.tag == "4":
        data = record.value.encode("utf-8", errors="surrogateescape")
    elif record.tag == "4x":
        data = bytes.fromhex(record.value)
    else:
        return record.value.lstrip(".") if record.tag == "6" else record.value
    return " ".join(f"{b:02X}" for b in data)


def _normal(tag: str, printed: str) -> str:
    if tag in ("4", "4x"):
        return " ".join(printed.strip().strip('"').split())
    return printed.strip().lstrip(".")


@pytest.mark.parametrize("tool", ["snmpwalk", "snmpbulkwalk"])
@pytest.mark.parametrize("name", NAMES)
def test_net_snmp_walks_every_recorded_value(
    name: str, tool: str, responder: SnmpResponder, recordings: dict[str, list[Record]]
) -> None:
    walked = _netsnmp(tool, name, responder.port, ".1")
    records = [r for r in recordings[name] if r.tag != "5"]  # NULL prints as nothing useful
    assert set(walked) >= {format_oid(r.oid) for r in records}
    assert len(walked) == len(recordings[name])
    for r in records:
        assert _normal(r.tag, walked[format_oid(r.oid)]) == _expected(r), format_oid(r.oid)


def test_trailing_spaces_are_served_as_recorded(responder: SnmpResponder) -> None:
    got = _netsnmp("snmpget", "apc_ap7900b", responder.port, "1.3.6.1.2.1.1.1.0")
    assert got["1.3.6.1.2.1.1.1.0"].strip().strip('"').split()[-2:] == ["29", "20"]  # ") "


def test_get_of_a_missing_object_says_so(responder: SnmpResponder) -> None:
    out = subprocess.run(
        ["snmpget", "-v2c", "-c", "apc_ap7900b", "-On", f"127.0.0.1:{responder.port}",
         "1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.318.1.1.12.1.16.0"],
        capture_output=True, text=True, timeout=10, check=True,
    ).stdout  # fmt: skip
    assert "No Such Object" in out
    assert ".1.3.6.1.4.1.318.1.1.12.1.16.0 = INTEGER: 312" in out


def test_an_unknown_community_gets_no_answer(responder: SnmpResponder) -> None:
    done = subprocess.run(
        ["snmpget", "-v2c", "-c", "nosuchdevice", "-r", "0", "-t", "0.3",
         f"127.0.0.1:{responder.port}", "1.3.6.1.2.1.1.3.0"],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Timeout" in done.stderr


def test_set_value_is_seen_live_and_keeps_the_type(responder: SnmpResponder) -> None:
    responder.add_dataset("live-eaton", recording("eatonups"))
    responder.set_value("live-eaton", "1.3.6.1.4.1.534.1.4.4.1.4.1", 777)
    responder.set_value("live-eaton", "1.3.6.1.2.1.1.3.0", 12345)
    out = subprocess.run(
        ["snmpget", "-v2c", "-c", "live-eaton", "-On", f"127.0.0.1:{responder.port}",
         "1.3.6.1.4.1.534.1.4.4.1.4.1", "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.1.0"],
        capture_output=True, text=True, timeout=10, check=True,
    ).stdout  # fmt: skip
    assert "INTEGER: 777" in out
    assert "Timeticks: (12345)" in out
    assert 'STRING: "ConnectUPS Web/SNMP Card V4.38"' in out
    # The recording served under its own community is untouched.
    assert responder.get_value("eatonups", "1.3.6.1.4.1.534.1.4.4.1.4.1") == 231


def test_pysnmp_getbulk_walks_a_column_in_order(
    responder: SnmpResponder, recordings: dict[str, list[Record]]
) -> None:
    column = (1, 3, 6, 1, 4, 1, 13742, 6, 5, 4, 3, 1, 4)
    expected = [
        (r.oid, int(r.value)) for r in recordings["raritan-pdu_px2"] if r.oid[:13] == column
    ]

    async def walk() -> list[tuple[Oid, SnmpValue]]:
        client = SnmpClient()
        ep = Endpoint("127.0.0.1", responder.port, "raritan-pdu_px2", timeout=1.0, retries=1)
        try:
            return (await client.walk(ep, [column], max_repetitions=7))[column]
        finally:
            client.close()

    assert len(expected) > 20
    assert asyncio.run(walk()) == expected


def test_restart_on_the_same_port_and_v3_users(recordings: dict[str, list[Record]]) -> None:
    agent = SnmpResponder()
    agent.add_dataset("sentry4", recordings["sentry4"])
    agent.add_v3_user("sim", "sim-auth-key-1", "sim-priv-key-1", dataset="sentry4")
    port = agent.start()
    power = (1, 3, 6, 1, 4, 1, 1718, 4, 1, 3, 3, 1, 3, 1, 1)
    v3 = SnmpV3(
        user="sim", auth_key=SecretStr("sim-auth-key-1"), priv_key=SecretStr("sim-priv-key-1")
    )

    async def read(ep: Endpoint) -> SnmpValue | None:
        client = SnmpClient()
        try:
            return (await client.get(ep, [power]))[power]
        finally:
            client.close()

    try:
        agent.stop()
        assert agent.start() == port  # an outage test restarts the device where it was
        assert asyncio.run(read(Endpoint("127.0.0.1", port, "sentry4", timeout=1.0))) == 1701
        assert asyncio.run(read(Endpoint("127.0.0.1", port, v3=v3, timeout=1.0))) == 1701
    finally:
        agent.stop()
