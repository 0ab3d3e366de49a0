"""What the simulated agents send: nothing while asleep, ``resumed`` with the sleep after."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from collector.ingest.validate import Limits, Rejected, validate
from collector.sim.agents import (
    DEFAULT_INTERVAL,
    SimMessage,
    history,
    live,
    malformed_payloads,
    publish_history,
)
from collector.sim.behaviour import state_at
from collector.sim.fleet import Fleet, build_fleet
from collector.sim.office import PARIS
from contract.schema import PowerState, Quality, Reading, StateBlock, Telemetry
from tests.sim.conftest import SEED, TODAY, WEEK_END, WEEK_START


def _by_device(messages: list[SimMessage]) -> dict[str, list[SimMessage]]:
    out: dict[str, list[SimMessage]] = defaultdict(list)
    for m in messages:
        out[m.device_id].append(m)
    return out


def _uptime(m: SimMessage) -> float:
    return next(r.value for r in m.readings if r.metric == "uptime_seconds")


def _power(m: SimMessage) -> Reading:
    return next(r for r in m.readings if r.metric == "power_watts" and r.component is None)


def test_same_seed_same_messages() -> None:
    start = datetime(2025, 11, 4, 6, tzinfo=UTC)
    one = list(history(build_fleet(SEED, today=TODAY), start, start + timedelta(hours=6)))
    two = list(history(build_fleet(SEED, today=TODAY), start, start + timedelta(hours=6)))
    assert one == two
    other = list(history(build_fleet(SEED + 1, today=TODAY), start, start + timedelta(hours=6)))
    assert other != one


def test_messages_in_time_order_and_valid(week: list[SimMessage], fleet: Fleet) -> None:
    assert all(a.ts <= b.ts for a, b in pairwise(week))
    assert week[0].ts >= WEEK_START and week[-1].ts < WEEK_END
    agents = {d.id for d in fleet.agents()}
    assert {m.device_id for m in week} == agents
    for m in week[:: max(1, len(week) // 500)]:
        # What the Publisher will build from it must be a valid wire message.
        doc = Telemetry(
            device_id=m.device_id,
            seq=1,
            sent_at=m.ts,
            kind=m.kind,
            readings=m.readings,
            state=m.state,
        )
        assert Telemetry.model_validate_json(doc.to_json()) == doc
        assert all(r.ts == m.ts for r in m.readings)


def test_sources_and_quality(week: list[SimMessage]) -> None:
    for m in week:
        p = _power(m)
        if m.kind == "server":
            assert (p.source, p.quality) == ("ipmi", Quality.MEASURED)
            assert m.state is None
        elif p.source == "battery":
            assert m.kind == "laptop" and p.quality == Quality.MEASURED
            assert m.state is not None and m.state.on_battery
        else:
            assert (p.source, p.quality) == ("model", Quality.ESTIMATED)
    counters = [r for m in week for r in m.readings if r.metric == "energy_joules_total"]
    assert counters and all(r.quality == Quality.MEASURED for r in counters)


def test_no_message_while_asleep(week: list[SimMessage], fleet: Fleet) -> None:
    devices = {d.id: d for d in fleet.agents()}
    assert all(state_at(devices[m.device_id], m.ts).power_state != "asleep" for m in week)
    sleepers = {w.id for w in fleet.workstations if w.insomnia is None}
    for m in week:
        local = m.ts.astimezone(PARIS)
        if m.device_id in sleepers:
            assert 7 <= local.hour < 20, (m.device_id, local)
            assert local.weekday() < 5, (m.device_id, local)


def test_resumed_after_every_silence(week: list[SimMessage]) -> None:
    resumed = 0
    for device_id, messages in _by_device(week).items():
        for before, after in pairwise(messages):
            assert (
                after.state is None
                or after.state.slept == []
                or (after.state.power_state == PowerState.RESUMED)
            )
            silence = after.ts - before.ts
            if silence <= DEFAULT_INTERVAL + timedelta(seconds=1) or after.kind == "server":
                continue
            assert after.state is not None
            rebooted = _uptime(after) < _uptime(before)
            if rebooted:
                assert after.state.power_state != PowerState.RESUMED
                continue
            assert after.state.power_state == PowerState.RESUMED, (device_id, after.ts)
            resumed += 1
            for interval in after.state.slept:
                assert before.ts < interval.start < interval.end <= after.ts
            # The reported sleep explains the silence, to within one reporting interval.
            slept = sum((i.end - i.start for i in after.state.slept), timedelta())
            assert silence - slept <= 2 * DEFAULT_INTERVAL, (device_id, before.ts, after.ts)
    assert resumed > 100


def test_weekly_energy_per_desktop(week: list[SimMessage], fleet: Fleet) -> None:
    """kWh over the week: awake readings times the interval, plus the reported sleep."""
    kwh: dict[str, float] = defaultdict(float)
    sleep_w = {w.id: w.sleep_watts for w in fleet.workstations}
    for m in week:
        kwh[m.device_id] += _power(m).value * DEFAULT_INTERVAL.total_seconds() / 3.6e6
        if m.state is not None:
            for i in m.state.slept:
                kwh[m.device_id] += sleep_w[m.device_id] * (i.end - i.start).total_seconds() / 3.6e6
    desktops = [w for w in fleet.workstations if w.kind == "desktop"]
    sleepers = sorted(kwh[w.id] for w in desktops if not w.insomnia)
    insomniacs = [kwh[w.id] for w in desktops if w.insomnia]
    # About 40 h a week at 80-100 W, then 2-3 W asleep: ConfigMgr's 70 W + a monitor.
    assert 2.0 <= sleepers[len(sleepers) // 2] <= 6.0
    assert all(0.5 <= k <= 8.0 for k in sleepers)
    # Awake all week at 40-70 W.
    assert all(5.0 <= k <= 14.0 for k in insomniacs)
    assert 3.0 <= sum(kwh[w.id] for w in desktops) / len(desktops) <= 8.0
    laptops = [kwh[w.id] for w in fleet.workstations if w.kind == "laptop" and not w.insomnia]
    assert all(0.1 <= k <= 1.5 for k in laptops)
    for srv in fleet.servers:
        assert 7 * 24 * srv.idle_watts / 1000 < kwh[srv.id] < 7 * 24 * srv.max_watts / 1000


def test_live_goes_on_from_the_backlog() -> None:
    fleet = build_fleet(SEED, today=TODAY)
    friday_evening = datetime(2025, 11, 7, 21, tzinfo=PARIS)
    backlog = list(history(fleet, friday_evening - timedelta(days=1), friday_evening))
    last = {m.device_id: m.ts for m in backlog}
    monday = datetime(2025, 11, 10, 10, 30, tzinfo=PARIS)
    sent = live(fleet, monday)
    assert sent and all(fleet.last_sent[m.device_id] == monday for m in sent)
    resumed = [m for m in sent if m.state and m.state.power_state == PowerState.RESUMED]
    assert len(resumed) >= 10
    for m in resumed:
        assert m.state is not None
        first = m.state.slept[0]
        # From its last message (or earlier, for a machine that slept all Friday) to Monday.
        assert (
            last.get(m.device_id, first.start) <= first.start < datetime(2025, 11, 8, tzinfo=PARIS)
        )
        assert first.end < monday
    # A second call at the same instant sends nothing twice.
    assert live(fleet, monday) == []
    later = live(fleet, monday + timedelta(seconds=5))
    assert later and all(m.state is None or not m.state.slept for m in later)


class _Recorder:
    """Takes what a Publisher would queue (the real one needs a broker)."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[Reading], StateBlock | None, str | None]] = []

    def submit(
        self, readings: list[Reading], state: StateBlock | None = None, kind: str | None = None
    ) -> int:
        self.calls.append((readings, state, kind))
        return len(self.calls)


def test_publish_history_in_time_order() -> None:
    fleet = build_fleet(SEED, desktops=4, laptops=2, servers=2, today=TODAY)
    recorders = {d.id: _Recorder() for d in fleet.agents()}
    seen: list[tuple[int, int]] = []
    start = datetime(2025, 11, 4, tzinfo=PARIS)
    count = publish_history(
        fleet, recorders, start, start + timedelta(days=2), lambda n, t: seen.append((n, t))
    )
    assert count == sum(len(r.calls) for r in recorders.values()) > 0
    assert seen[-1] == (count, count)
    for r in recorders.values():
        times = [readings[0].ts for readings, _s, _k in r.calls]
        assert times == sorted(times)


def test_published_history_ends_where_live_reporting_takes_over() -> None:
    """An always-on server's backlog reaches the hand-over instant, with no gap longer than
    the interval: else the first analysis sees a silence (``device_silent``) that never was."""
    fleet = build_fleet(SEED, desktops=2, laptops=1, servers=3, today=TODAY)
    recorders = {d.id: _Recorder() for d in fleet.agents()}
    start = datetime(2025, 11, 4, tzinfo=PARIS)
    end = start + timedelta(days=1, minutes=7, seconds=3)  # not on a 15-minute slot
    publish_history(fleet, recorders, start, end)
    servers = list(fleet.servers)
    assert len(servers) == 3
    for d in servers:
        times = [readings[0].ts for readings, _s, _k in recorders[d.id].calls]
        assert times[-1] == end and fleet.last_sent[d.id] == end
        assert max(b - a for a, b in pairwise(times)) <= timedelta(minutes=15)
    assert live(fleet, end) == []  # the hand-over round is not sent twice


def test_malformed_payloads_are_rejected_with_their_reason() -> None:
    now = datetime(2025, 11, 4, 10, tzinfo=UTC)
    payloads = malformed_payloads(now=now)
    keywords = [k for _t, _p, k in payloads]
    assert "JSON" in keywords and "negative" in keywords
    for topic_name, payload, keyword in payloads:
        with pytest.raises(Rejected) as caught:
            validate(topic_name, payload, now, Limits())
        assert keyword in caught.value.reason


def test_exempt_laptops_are_those_that_stay_awake(fleet: Fleet) -> None:
    exempt = [w for w in fleet.workstations if w.exemption is not None]
    assert len(exempt) == 2
    assert all(w.insomnia is not None for w in exempt)
    nights = [datetime(2025, 11, d, 2, tzinfo=PARIS) for d in (4, 5, 6, 7, 11, 12, 13, 14)]
    awake = [state_at(w, t).power_state == "idle" for w in exempt for t in nights]
    assert sum(awake) >= 0.6 * len(awake)
