"""Energy counters through real SNMP: wraps are corrected and counted, resets let the value fall."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from collector.config import SnmpTarget
from collector.snmp.counters import CounterState
from collector.snmp.device import PollResult, poll_device
from collector.snmp.responder import SnmpResponder
from contract.counters import Step
from tests.snmp.conftest import recording

pytestmark = pytest.mark.integration

WH = "1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.8"  # Raritan inlet 1, sensor type 8 = active energy (Wh)
WH_DIGITS = "1.3.6.1.4.1.13742.6.3.3.4.1.7.1.1.8"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
J_PER_WH = 3600.0


def _poll(responder: SnmpResponder, community: str, state: CounterState) -> PollResult:
    target = SnmpTarget(
        device_id=community, host="127.0.0.1", port=responder.port, community=SecretStr(community)
    )
    result = asyncio.run(poll_device(target, timeout=1.0, retries=1, state=state))
    assert result.error is None
    return result


def _energy_sample(result: PollResult) -> float:
    [sample] = [s for s in result.samples if s.metric == "energy_joules_total"]
    assert sample.component == "inlet-1.1" and sample.source == "pdu_inlet"
    return sample.value


def test_wh_counter_wrap_then_restart(responder: SnmpResponder) -> None:
    responder.add_dataset("raritan-live", recording("raritan-pdu_px2"))
    responder.set_value("raritan-live", WH, 2**32 - 1000, tag="66")
    responder.set_value("raritan-live", WH_DIGITS, 0, tag="66")
    responder.set_value("raritan-live", SYS_UPTIME, 100_000)
    state = CounterState()

    first = _poll(responder, "raritan-live", state)
    assert first.profile == "raritan_pdu2"
    assert first.energy_joules == pytest.approx((2**32 - 1000) * J_PER_WH)
    assert first.power_watts == 138  # the W sensor still reads as recorded

    responder.set_value("raritan-live", WH, 500)  # past 2**32: the Gauge32 wrapped
    responder.set_value("raritan-live", SYS_UPTIME, 100_500)
    wrapped = _poll(responder, "raritan-live", state)
    assert wrapped.wraps == 1 and wrapped.resets == 0
    assert wrapped.energy_joules == pytest.approx((2**32 + 500) * J_PER_WH)
    assert _energy_sample(wrapped) > _energy_sample(first)
    assert wrapped.uptime_seconds == pytest.approx(1005.0)

    responder.set_value("raritan-live", WH, 900)
    responder.set_value("raritan-live", SYS_UPTIME, 101_000)
    rising = _poll(responder, "raritan-live", state)
    assert (rising.wraps, rising.resets) == (0, 0)
    assert _energy_sample(rising) - _energy_sample(wrapped) == pytest.approx(400 * J_PER_WH)

    responder.set_value("raritan-live", WH, 20)  # the PDU restarted and so did its counter
    responder.set_value("raritan-live", SYS_UPTIME, 3_000)
    restarted = _poll(responder, "raritan-live", state)
    assert restarted.resets == 1 and restarted.wraps == 0
    assert _energy_sample(restarted) == pytest.approx(20 * J_PER_WH)
    assert (state.wraps, state.resets) == (1, 1)


def test_apc_rpdu2_is_used_when_it_measures(responder: SnmpResponder) -> None:
    # The AP7900B answers -1 (unsupported) to rPDU2; a PDU that measures answers numbers.
    responder.add_dataset("apc-rpdu2", recording("apc_ap7900b"))
    responder.set_value("apc-rpdu2", "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1", 45)  # 0.45 kW
    responder.set_value("apc-rpdu2", "1.3.6.1.4.1.318.1.1.26.4.3.1.9.1", 12_345)  # 1234.5 kWh
    result = _poll(responder, "apc-rpdu2", CounterState())
    assert result.profile == "apc_rpdu2"
    assert result.power_watts == pytest.approx(450)
    assert result.energy_joules == pytest.approx(1234.5 * 3.6e6)
    assert result.uptime_seconds is None  # this agent has neither uptime object


def test_counter_state_rules() -> None:
    state = CounterState()
    up = 1000.0
    assert state.update("a", 100, modulus=2**32, resettable=False, uptime=up) == (100, None)
    # A fall while uptime rose, on a counter nobody can reset: a wrap.
    assert state.update("a", 50, modulus=2**32, resettable=False, uptime=up + 60) == (
        2**32 + 50,
        Step.WRAP,
    )
    # On a resettable counter, a fall to near zero from a low value is an operator's reset.
    state.update("r", 10_000, modulus=2**32, resettable=True, uptime=up)
    assert state.update("r", 3, modulus=2**32, resettable=True, uptime=up + 60) == (3, Step.RESET)
    # A changed reset date is a reset even if the value did not fall.
    state.update("m", 10, modulus=2**32, resettable=True, uptime=up, marker="01/01/2024")
    value, step = state.update(
        "m", 12, modulus=2**32, resettable=True, uptime=up + 60, marker="02/01/2024"
    )
    assert (value, step) == (12, Step.RESET)
    # A counter without a modulus never wraps: a fall is a reset.
    state.update("n", 500, modulus=None, resettable=False, uptime=up)
    assert state.update("n", 400, modulus=None, resettable=False, uptime=up + 60) == (
        400,
        Step.RESET,
    )
    assert (state.wraps, state.resets) == (1, 3)
