"""Devices without watts: load x rating, labelled estimated; a true 0 W reads 0; TimeTicks wraps."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import SecretStr

from collector.config import SnmpTarget
from collector.snmp import decode
from collector.snmp.counters import TICKS_WRAP_SECONDS, CounterState, uptime_restarted
from collector.snmp.device import PollResult, poll_device
from collector.snmp.estimate import NoRating, Rating, device_power
from collector.snmp.profiles import Profile
from collector.snmp.responder import SnmpResponder
from contract.schema import Quality
from tests.snmp.conftest import recording

LOAD, RATED_W, RATED_VA = (1, 3, 6, 1, 4, 1, 99999, 1, 0), (1, 3, 6, 1, 4, 1, 99999, 2, 0), (
    1, 3, 6, 1, 4, 1, 99999, 3, 0,
)  # fmt: skip


def _ups(**estimate: Any) -> Profile:
    return Profile.model_validate(
        {
            "name": "ups_load_only",
            "kind": "ups",
            "vendor": "test",
            "mib": "TEST-MIB",
            "source": "ups_output",
            "estimate": {"load": {"oid": "1.3.6.1.4.1.99999.1.0"}, **estimate},
        }
    )


def _raw(**values: int) -> decode.RawData:
    oids = {"load": LOAD, "rated_w": RATED_W, "rated_va": RATED_VA}
    return decode.RawData({oids[k]: v for k, v in values.items()})


def test_load_times_the_devices_rated_watts() -> None:
    profile = _ups(rated_w={"oid": "1.3.6.1.4.1.99999.2.0"})
    power = device_power(profile, _raw(load=50, rated_w=2000), Rating())
    assert power is not None
    assert (power.watts, power.quality, power.source) == (
        1000,
        Quality.ESTIMATED,
        "ups_output_estimated",
    )
    assert "output load 50 %" in power.derivation and "rated W" in power.derivation


def test_load_times_rated_va_times_the_configured_power_factor() -> None:
    profile = _ups(rated_va={"oid": "1.3.6.1.4.1.99999.3.0"})
    power = device_power(profile, _raw(load=25, rated_va=3000), Rating(power_factor=0.8))
    assert power is not None and power.watts == pytest.approx(600)
    assert "x power factor 0.8" in power.derivation
    default_pf = device_power(profile, _raw(load=25, rated_va=3000), Rating())
    assert default_pf is not None and default_pf.watts == pytest.approx(675)  # PF 0.9


def test_the_targets_rating_is_used_when_the_device_has_none() -> None:
    power = device_power(_ups(), _raw(load=40), Rating(rated_w=1500))
    assert power is not None and power.watts == pytest.approx(600)
    assert "the target's rated_w" in power.derivation
    with pytest.raises(NoRating, match=r"load \(40 %\) but no rating; set rated_w, or rated_va"):
        device_power(_ups(), _raw(load=40), Rating())


def test_zero_load_is_zero_watts_not_missing() -> None:
    power = device_power(_ups(), _raw(load=0), Rating(rated_w=1500))
    assert power is not None and power.watts == 0.0


def _poll(
    responder: SnmpResponder, community: str, state: CounterState, **rating: float
) -> PollResult:
    target = SnmpTarget(
        device_id=f"est-{community}",
        host="127.0.0.1",
        port=responder.port,
        community=SecretStr(community),
        **rating,
    )
    return asyncio.run(poll_device(target, timeout=1.0, retries=1, state=state))


@pytest.mark.integration
def test_a_load_only_ups_without_a_rating_says_what_to_set(responder: SnmpResponder) -> None:
    result = _poll(responder, "powerwalker", CounterState())
    assert result.power_watts is None
    assert result.error is not None and "27 %" in result.error and "rated_va" in result.error
    rated = _poll(responder, "powerwalker", CounterState(), rated_w=2000.0)
    assert rated.power_watts == pytest.approx(540) and rated.quality is Quality.ESTIMATED


@pytest.mark.integration
def test_a_device_that_truly_reads_0_w_reads_0(responder: SnmpResponder) -> None:
    responder.add_dataset("dell-ups-idle", recording("dell-ups"))
    responder.set_value("dell-ups-idle", "1.3.6.1.4.1.674.10902.2.120.2.6.0", 0)
    result = _poll(responder, "dell-ups-idle", CounterState())
    assert result.error is None and result.power_watts == 0.0
    [total] = [s for s in result.samples if s.metric == "power_watts"]
    assert total.value == 0.0 and total.quality is Quality.MEASURED


def test_uptime_wrap_rules() -> None:
    last_second = TICKS_WRAP_SECONDS - 0.5
    assert not uptime_restarted(last_second, 0.2, elapsed=0.7)  # wrapped, 0.7 s later
    assert uptime_restarted(last_second, 0.2, elapsed=3600)  # an hour later: a restart
    assert uptime_restarted(86400.0, 10.0, elapsed=60)  # mid-life fall: a restart
    assert not uptime_restarted(last_second, 0.2, elapsed=None)  # last day -> first day
    assert uptime_restarted(86400.0, 10.0, elapsed=None)
    assert not uptime_restarted(10.0, 20.0, elapsed=5)


SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
HR_UPTIME = "1.3.6.1.2.1.25.1.1.0"
WH = "1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.8"  # Raritan inlet active energy (Wh, resettable)


@pytest.mark.integration
def test_the_497_day_sysuptime_wrap_is_not_a_restart(responder: SnmpResponder) -> None:
    responder.add_dataset("raritan-497", recording("raritan-pdu_px2"))
    responder.set_value("raritan-497", WH, 1000, tag="66")
    responder.set_value("raritan-497", SYS_UPTIME, 2**32 - 30)  # 0.3 s before the wrap
    state = CounterState()
    before = _poll(responder, "raritan-497", state)
    responder.set_value("raritan-497", SYS_UPTIME, 40)
    responder.set_value("raritan-497", WH, 1001)
    after = _poll(responder, "raritan-497", state)
    assert (state.uptime_wraps, state.restarts, after.resets, after.wraps) == (1, 0, 0, 0)
    assert after.uptime_seconds == pytest.approx(TICKS_WRAP_SECONDS + 0.4)
    assert after.energy_joules is not None and before.energy_joules is not None
    assert after.energy_joules - before.energy_joules == pytest.approx(3600.0)  # 1 Wh
    # A real restart (the uptime falls far more than the time that passed) is one.
    responder.set_value("raritan-497", SYS_UPTIME, 5)
    _poll(responder, "raritan-497", state)
    assert (state.uptime_wraps, state.restarts) == (1, 1)


@pytest.mark.integration
def test_hrsystemuptime_is_preferred_to_the_agents_sysuptime(responder: SnmpResponder) -> None:
    responder.add_dataset("raritan-hr", recording("raritan-pdu_px2"))
    responder.set_value("raritan-hr", HR_UPTIME, 5_000_000, tag="67")
    responder.set_value("raritan-hr", SYS_UPTIME, 100)  # the SNMP agent restarted, not the host
    result = _poll(responder, "raritan-hr", CounterState())
    [uptime] = [s for s in result.samples if s.metric == "uptime_seconds"]
    assert (uptime.value, uptime.source) == (50_000.0, "snmp_hrsystemuptime")


@pytest.mark.integration
def test_an_idle_load_only_ups_reads_an_estimated_0_w_from_its_own_rating(
    responder: SnmpResponder,
) -> None:
    result = _poll(responder, "socomec-ups", CounterState())
    assert result.error is None and result.power_watts == 0.0
    assert result.quality is Quality.ESTIMATED
    assert result.derivation is not None
    assert (
        "output load 0 %" in result.derivation
        and "x 2200 (the device's rated VA" in result.derivation
    )
