"""The client against the real net-snmp snmpd: v2c uptime, and SNMPv3 authPriv (SHA/AES)."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import SecretStr

from collector.config import SnmpTarget, SnmpV3
from collector.snmp import decode
from collector.snmp.cli import poll_command
from collector.snmp.client import Endpoint, SnmpClient, SnmpValue
from collector.snmp.device import poll_device
from collector.snmp.errors import SnmpAuthError, SnmpTimeout
from collector.snmp.snmprec import Oid
from loopback.servers import Server
from tests.snmp.conftest import V3User, _SnmpdV3

pytestmark = pytest.mark.integration

UPTIMES = [decode.SYS_UPTIME, decode.HR_SYSTEM_UPTIME]


def _get(ep: Endpoint, oids: list[Oid]) -> dict[Oid, SnmpValue | None]:
    async def run() -> dict[Oid, SnmpValue | None]:
        client = SnmpClient()
        try:
            return await client.get(ep, oids)
        finally:
            client.close()

    return asyncio.run(run())


def _v3(user: V3User, *, auth: str | None = None, priv: str | None = None) -> SnmpV3:
    return SnmpV3(
        user=user.user,
        auth_key=SecretStr(auth or user.auth_key),
        priv_key=SecretStr(priv or user.priv_key),
    )


def test_v2c_reads_sysuptime_and_hr_uptime(snmpd: Server) -> None:
    ep = Endpoint("127.0.0.1", snmpd.port, "public", timeout=1.0, retries=2)
    first = _get(ep, UPTIMES)
    time.sleep(0.05)
    second = _get(ep, UPTIMES)
    before, after = first[decode.SYS_UPTIME], second[decode.SYS_UPTIME]
    assert isinstance(before, int) and isinstance(after, int)
    assert after >= before
    raw = decode.RawData(second, {})
    up = decode.uptime_seconds(raw)
    assert up is not None and up[0] > 0
    # net-snmp answers hrSystemUptime (the host's), which is preferred to the agent's.
    assert up[1] == "snmp_hrsystemuptime"


def test_a_device_without_power_objects_is_a_clear_error(snmpd: Server) -> None:
    target = SnmpTarget(
        device_id="plain-host", host="127.0.0.1", port=snmpd.port, community=SecretStr("public")
    )
    result = asyncio.run(poll_device(target, timeout=1.0, retries=1))
    assert result.power_watts is None
    assert result.error is not None and "no profile finds power" in result.error


def test_v3_authpriv_get_succeeds(snmpd_v3_server: _SnmpdV3, v3_user: V3User) -> None:
    ep = Endpoint("127.0.0.1", snmpd_v3_server.port, v3=_v3(v3_user), timeout=1.0, retries=1)
    ticks = _get(ep, [decode.SYS_UPTIME])[decode.SYS_UPTIME]
    assert isinstance(ticks, int) and ticks > 0


@pytest.mark.parametrize(
    "wrong",
    [{"auth": "not-the-auth-key"}, {"priv": "not-the-priv-key"}],
    ids=["auth-key", "priv-key"],
)
def test_v3_wrong_key_is_an_auth_error(
    snmpd_v3_server: _SnmpdV3, v3_user: V3User, wrong: dict[str, str]
) -> None:
    ep = Endpoint(
        "127.0.0.1", snmpd_v3_server.port, v3=_v3(v3_user, **wrong), timeout=0.5, retries=0
    )
    with pytest.raises((SnmpAuthError, SnmpTimeout)) as caught:
        _get(ep, [decode.SYS_UPTIME])
    assert f"127.0.0.1:{snmpd_v3_server.port}" in str(caught.value)
    if wrong.get("auth"):
        assert isinstance(caught.value, SnmpAuthError)
        assert repr(v3_user.user) in str(caught.value)
    else:  # snmpd drops what it cannot decrypt: the timeout says what to check
        assert "privacy key" in str(caught.value)


def test_v3_unknown_user_is_an_auth_error(snmpd_v3_server: _SnmpdV3, v3_user: V3User) -> None:
    other = V3User("nobody", v3_user.auth_key, v3_user.priv_key)
    ep = Endpoint("127.0.0.1", snmpd_v3_server.port, v3=_v3(other), timeout=0.5, retries=0)
    with pytest.raises(SnmpAuthError):
        _get(ep, [decode.SYS_UPTIME])


def test_poll_command_reports_refused_credentials(
    snmpd_v3_server: _SnmpdV3, v3_user: V3User, capsys: pytest.CaptureFixture[str]
) -> None:
    code = poll_command(
        f"127.0.0.1:{snmpd_v3_server.port}",
        community=None,
        v3=_v3(v3_user, auth="wrong-auth-key"),
        as_json=False,
        timeout=0.5,
    )
    assert code == 1
    assert "SNMPv3 credentials refused" in capsys.readouterr().err
