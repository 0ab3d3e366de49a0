"""Every socket the collector opens binds to loopback unless configured otherwise: /metrics,
the embedded broker, and the SNMP client's UDP socket (never the wildcard address)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import psutil
import pytest

from collector.app import CollectorApp
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.snmp import decode
from collector.snmp.client import Endpoint, SnmpClient
from collector.snmp.v2c import route_source
from loopback.servers import Server, free_port


def _sockets(kind: str) -> list[tuple[str, int]]:
    return [
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process(os.getpid()).net_connections(kind=kind)
        if c.laddr and (kind != "tcp" or c.status == psutil.CONN_LISTEN)
    ]


def test_collector_listeners_bind_to_loopback_by_default(tmp_path: Path) -> None:
    before = set(_sockets("tcp"))
    cfg = CollectorConfig.model_validate(
        {"ledger": {"url": f"sqlite:///{tmp_path / 'l.sqlite'}"}, "metrics": {"port": 0}}
    )
    # the embedded broker on a free port (0 is refused by the config: it is for agents to use)
    cfg = cfg.model_copy(update={"mqtt": cfg.mqtt.model_copy(update={"port": free_port()})})
    app = CollectorApp(cfg, Inventory([]), spool_dir=tmp_path / "spool")
    app.start(jobs=False)
    try:
        opened = set(_sockets("tcp")) - before
        ports = {port for _ip, port in opened}
        assert {app.mqtt_port, app.metrics_port} <= ports
        assert {ip for ip, _port in opened} == {"127.0.0.1"}
    finally:
        app.stop()


def _poll_and_bound_to(client: SnmpClient, ep: Endpoint) -> set[str]:
    async def run() -> set[str]:
        before = set(_sockets("udp"))
        try:
            found = await client.get(ep, [decode.SYS_UPTIME])
            assert found[decode.SYS_UPTIME] is not None
            return {ip for ip, _port in set(_sockets("udp")) - before}
        finally:
            client.close()

    return asyncio.run(run())


@pytest.mark.integration
def test_snmp_socket_binds_to_the_routed_address_not_the_wildcard(snmpd: Server) -> None:
    ep = Endpoint("127.0.0.1", snmpd.port, community="public", timeout=2.0, retries=1)
    assert _poll_and_bound_to(SnmpClient(), ep) == {"127.0.0.1"}


@pytest.mark.integration
def test_snmp_socket_of_the_pysnmp_path_binds_to_the_routed_address(snmpd: Server) -> None:
    ep = Endpoint("127.0.0.1", snmpd.port, community="public", timeout=2.0, retries=1)
    assert _poll_and_bound_to(SnmpClient(fast_v2c=False), ep) == {"127.0.0.1"}


@pytest.mark.integration
def test_snmp_source_address_is_configurable(snmpd: Server) -> None:
    ep = Endpoint("127.0.0.1", snmpd.port, community="public", timeout=2.0, retries=1)
    assert _poll_and_bound_to(SnmpClient(source_address="127.0.0.1"), ep) == {"127.0.0.1"}


def test_route_source_of_loopback_is_loopback() -> None:
    assert route_source(("127.0.0.1", 161)) == "127.0.0.1"
