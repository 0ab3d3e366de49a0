"""Registers first: a PDU's own kWh register, polled over real SNMP, beats its power.

The recorded Schleifenbauer walk (three PDUs on one databus) is served over UDP on loopback by
the in-process responder. Its inputs report 70 + 0 + 70 VA, and its kWh registers are advanced
between polls by much more than that power would give: the hourly kWh must be the registers'.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from collector.analysis.energy import hourly_energy
from collector.analysis.scope import Scope, counter_scopes, scope_of
from collector.config import SnmpTarget
from collector.model import Sample
from collector.snmp.counters import CounterState
from collector.snmp.device import poll_device
from collector.snmp.profiles import default_profiles
from collector.snmp.responder import SnmpResponder
from collector.snmp.snmprec import load_snmprec
from contract.schema import Quality
from tests.conftest import FIXTURES

pytestmark = pytest.mark.integration

KWH = "1.3.6.1.4.1.31034.12.1.1.2.6.1.1.2.210.{n}"  # sdbDevInKWhTotal, PDU 210 input n
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
POLL = 300  # s


@pytest.fixture(scope="module")
def responder() -> Iterator[SnmpResponder]:
    agent = SnmpResponder(host="127.0.0.1", port=0)
    agent.add_dataset("schleifenbauer", load_snmprec(FIXTURES / "snmp" / "schleifenbauer.snmprec"))
    agent.start()
    yield agent
    agent.stop()


def _poll_history(responder: SnmpResponder, polls: int) -> list[Sample]:
    """``polls`` polls 5 min apart (simulated time): inputs 1 and 3 step 1 kWh at each."""
    target = SnmpTarget(
        device_id="pdu-sb",
        host="127.0.0.1",
        port=responder.port,
        community=SecretStr("schleifenbauer"),
    )
    state = CounterState()
    samples: list[Sample] = []
    for i in range(polls):
        for n in (1, 3):
            responder.set_value("schleifenbauer", KWH.format(n=n), 66 + i, tag="2")
        responder.set_value("schleifenbauer", SYS_UPTIME, 46_996_152 + i * POLL * 100, tag="67")
        result = asyncio.run(poll_device(target, timeout=1.0, retries=1, state=state))
        assert result.error is None and result.profile == "schleifenbauer"
        ts = T0 + timedelta(seconds=i * POLL)
        samples += [dataclasses.replace(s, ts=ts) for s in result.samples]
    return samples


def test_the_pdu_register_beats_its_power(responder: SnmpResponder) -> None:
    samples = _poll_history(responder, 25)  # 10:00 .. 12:00
    counters = [s for s in samples if s.metric == "energy_joules_total"]
    assert {s.component for s in counters} == {"input-210.1", "input-210.2", "input-210.3"}
    assert {s.source for s in counters} == {"pdu_inlet"}
    total_power = {s.value for s in samples if s.metric == "power_watts" and s.component is None}
    assert total_power == {140.0}

    rows = hourly_energy(samples, max_gap_seconds=2 * POLL)
    assert [r.hour for r in rows] == [T0, T0 + timedelta(hours=1)]
    # two inputs x 12 kWh per hour from the registers; their 140 VA would give 0.14 kWh
    assert [r.kwh for r in rows] == pytest.approx([24.0, 24.0], rel=1e-9)
    assert all(r.coverage == pytest.approx(1.0) and r.source == "pdu_inlet" for r in rows)
    assert all(r.measured_kwh == r.kwh and r.resets == 0 for r in rows)

    by_power = hourly_energy(
        [s for s in samples if s.metric != "energy_joules_total"], max_gap_seconds=2 * POLL
    )
    assert [r.kwh for r in by_power] == pytest.approx([0.14, 0.14])


def _s(t: float, metric: str, value: float, source: str, comp: str | None) -> Sample:
    return Sample("srv-1", T0 + timedelta(seconds=t), metric, value, source, Quality.MEASURED, comp)


def test_part_counters_never_replace_whole_device_power() -> None:
    # IPMI says 200 W at the wall; RAPL package + dram count 90 W: the wall figure stands.
    samples = []
    for t in range(0, 3601, 60):
        samples.append(_s(t, "power_watts", 200.0, "ipmi", None))
        samples.append(_s(t, "energy_joules_total", 80.0 * t, "rapl", "package-0"))
        samples.append(_s(t, "energy_joules_total", 10.0 * t, "rapl", "dram-0"))
    [row] = hourly_energy(samples, max_gap_seconds=180)
    assert row.kwh == pytest.approx(0.2) and row.source == "ipmi"
    # without the wall figure, the parts are the best there is
    [parts] = hourly_energy([s for s in samples if s.source == "rapl"], max_gap_seconds=180)
    assert parts.kwh == pytest.approx(0.09) and parts.coverage == pytest.approx(1.0)


def test_scopes_are_declared_data() -> None:
    scopes = counter_scopes()
    assert scopes["rapl"] == Scope.PART
    for profile in default_profiles().values():
        if profile.energy and all(e.scope == "device" for e in profile.energy):
            assert scopes[profile.source] == Scope.DEVICE, profile.name
    assert scope_of("rapl", None, scopes) == Scope.DEVICE  # no component: the device total
    assert scope_of("unheard_of", "x", scopes) == Scope.PART  # undeclared: the cautious side
