"""The v2c fast path reads every recording exactly as pysnmp does, over real UDP."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from pysnmp.proto import api

from collector.snmp import decode, v2c
from collector.snmp.client import Endpoint, SnmpClient
from collector.snmp.errors import SnmpTimeout
from collector.snmp.profiles import default_profiles
from collector.snmp.responder import SnmpResponder
from loopback.servers import free_port
from tests.snmp.conftest import DEVICES

pytestmark = pytest.mark.integration


async def _read_all(client: SnmpClient, ep: Endpoint) -> tuple[Any, ...]:
    scalars: list[tuple[int, ...]] = []
    columns: list[tuple[int, ...]] = []
    for profile in default_profiles().values():
        s, c = decode.needed_oids(profile)
        scalars += [o for o in s if o not in scalars]
        columns += [o for o in c if o not in columns]
    got = await client.get(ep, scalars)
    walked = await client.walk(ep, columns)
    nexts = await client.get_next(ep, columns[:10])
    client.close()
    return got, walked, nexts


@pytest.mark.parametrize("device", DEVICES, ids=[d["name"] for d in DEVICES])
def test_fast_path_reads_what_pysnmp_reads(
    device: dict[str, Any], responder: SnmpResponder
) -> None:
    ep = Endpoint("127.0.0.1", responder.port, device["snmpsim_community"], timeout=2.0)
    fast = asyncio.run(_read_all(SnmpClient(), ep))
    slow = asyncio.run(_read_all(SnmpClient(fast_v2c=False), ep))
    assert fast == slow
    got, walked, _ = fast
    assert any(v is not None for v in got.values()) or any(walked.values())  # it answered


def test_requests_decode_as_pysnmp_reads_them() -> None:
    from pyasn1.codec.ber import decoder  # type: ignore[import-untyped]

    oids = [(1, 3, 6, 1, 2, 1, 1, 3, 0), (1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 4, 3, 1, 5, 2**31)]
    message = v2c.encode("public", v2c.GETBULK, 12345, oids, reps=24)
    p_mod = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    req, rest = decoder.decode(message, asn1Spec=p_mod.Message())
    assert not rest
    pdu = p_mod.apiMessage.get_pdu(req)
    assert str(p_mod.apiMessage.get_community(req)) == "public"
    assert int(p_mod.apiBulkPDU.get_request_id(pdu)) == 12345
    assert int(p_mod.apiBulkPDU.get_max_repetitions(pdu)) == 24
    assert [tuple(o) for o, _ in p_mod.apiBulkPDU.get_varbinds(pdu)] == oids


def test_an_error_response_decodes_with_its_status_and_index() -> None:
    bind = v2c._tlv(0x30, v2c._oid((1, 3, 6, 1, 2, 1, 1, 3, 0)) + b"\x05\x00")
    pdu = v2c._tlv(v2c.RESPONSE, v2c._int(99) + v2c._int(5) + v2c._int(1) + v2c._tlv(0x30, bind))
    message = v2c._tlv(0x30, v2c._int(1) + v2c._tlv(0x04, b"public") + pdu)
    assert v2c.decode(message) == (99, 5, 1, [((1, 3, 6, 1, 2, 1, 1, 3, 0), None)])
    assert str(v2c.V2cError(5, 1)) == "genErr"
    with pytest.raises(v2c.DecodeError, match="not a response"):
        v2c.decode(v2c.encode("public", v2c.GET, 1, [(1, 3, 6)]))


def test_a_garbled_or_foreign_datagram_is_ignored_then_the_request_times_out() -> None:
    port = free_port(socket.SOCK_DGRAM)
    with pytest.raises(v2c.DecodeError):
        v2c.decode(b"\x30\x03\x02\x01")

    async def ask() -> None:
        client = SnmpClient()
        try:
            await client.get(
                Endpoint("127.0.0.1", port, "public", timeout=0.2, retries=1), [(1, 3)]
            )
        finally:
            client.close()

    with pytest.raises(SnmpTimeout, match=r"no SNMP answer after 2 tries of 0.2 s"):
        asyncio.run(ask())
