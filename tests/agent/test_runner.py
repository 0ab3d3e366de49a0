"""The agent loop: fallback only when nothing measures the whole device, failures isolated."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from agent.commands import recorded
from agent.config import AgentConfig
from agent.sources.base import SourceUnavailable
from agent.sources.ipmi import COMMAND, IpmiSource
from agent.sources.model import ModelSource
from agent.sources.rapl import RaplSource
from agent.spool import Spool
from agent.transport import Publisher
from contract.wire import PowerState, Quality, Reading, StateBlock
from loopback.servers import free_port
from tests.agent.conftest import copy_sysfs, fixture_text


class Counting:
    def __init__(self, inner: ModelSource) -> None:
        self.inner, self.calls = inner, 0

    def read(self) -> list[Reading]:
        self.calls += 1
        return self.inner.read()


class Broken:
    def read(self) -> list[Reading]:
        raise SourceUnavailable("not here", "nothing to do")


class FixedState:
    def read(self) -> StateBlock:
        return StateBlock(power_state=PowerState.ACTIVE, idle_seconds=3)


def _model() -> Counting:
    return Counting(
        ModelSource("server", cpu_utilisation=lambda: 0.5, logical_cpus=4, memory_bytes=2**32)
    )


def _config(tmp_path: Path) -> AgentConfig:
    return AgentConfig(device_id="pc-1", kind="server", sysfs_root=tmp_path)


def test_model_is_skipped_when_the_bmc_measures(tmp_path: Path) -> None:
    from agent.runner import Agent

    (tmp_path / "ipmi0").touch()
    ipmi = IpmiSource(
        recorded({COMMAND: fixture_text("ipmi/dcmi_power_reading_dell_r740.txt")}),
        dev_root=tmp_path,
    )
    model = _model()
    agent = Agent(
        _config(tmp_path), {"broken": Broken(), "ipmi": ipmi, "model": model}, FixedState(), None
    )
    readings, state = agent.collect()
    assert [(r.source, r.value) for r in readings] == [("ipmi", 248.0)]
    assert model.calls == 0 and agent.errors_total == {"broken": 1}
    assert state.idle_seconds == 3


def test_model_runs_beside_rapl_which_measures_only_parts(tmp_path: Path) -> None:
    from agent.runner import Agent

    rapl = RaplSource(copy_sysfs("powercap_t0", tmp_path / "powercap"))
    model = _model()
    msg = Agent(_config(tmp_path), {"rapl": rapl, "model": model}, FixedState(), None).run_once()
    assert model.calls == 1
    whole = [r for r in msg.readings if r.metric == "power_watts" and r.component is None]
    assert [(r.source, r.quality) for r in whole] == [("model", Quality.ESTIMATED)]
    assert msg.seq == 0 and msg.device_id == "pc-1"


def test_run_forever_submits_each_interval_until_stopped(tmp_path: Path) -> None:
    from agent.runner import Agent

    config = dataclasses.replace(_config(tmp_path), interval_seconds=0.2)
    spool = Spool(":memory:", max_messages=100, max_age_seconds=60)
    publisher = Publisher(
        dataclasses.replace(config.mqtt, port=free_port()),
        site="t",
        device_id="pc-1",
        spool=spool,
    )
    agent = Agent(config, {"model": _model()}, FixedState(), publisher)
    stop = threading.Event()
    threading.Timer(0.9, stop.set).start()
    agent.run_forever(stop)  # never started: everything stays in the spool
    assert 4 <= len(spool) <= 6
    assert [seq for seq, _ in spool.peek(None, 10)] == list(range(len(spool)))


class Flaky:
    """Unavailable (lasting or not) until ``ok`` is set, then a reading; counts its tries."""

    def __init__(self, lasting: bool) -> None:
        self.lasting, self.ok, self.calls = lasting, False, 0

    def read(self) -> list[Reading]:
        self.calls += 1
        if not self.ok:
            raise SourceUnavailable("not here", "plug it in", lasting=self.lasting)
        return _model().read()


def test_a_lasting_unavailable_source_is_tried_again_after_an_hour(tmp_path: Path) -> None:
    from agent.runner import Agent

    now = [0.0]
    lasting, passing = Flaky(lasting=True), Flaky(lasting=False)
    agent = Agent(
        _config(tmp_path),
        {"lasting": lasting, "passing": passing, "model": _model()},
        FixedState(),
        None,
        clock=lambda: now[0],
    )
    for t in (0.0, 60.0, 3599.0):
        now[0] = t
        readings, _ = agent.collect()
        assert {r.source for r in readings} == {"model"}  # the fallback still runs
    assert lasting.calls == 1 and passing.calls == 3  # a passing cause: every round
    lasting.ok = True
    now[0] = 3600.0
    readings, _ = agent.collect()
    assert lasting.calls == 2 and any(r.metric == "power_watts" for r in readings)
    now[0] = 3660.0
    agent.collect()
    assert lasting.calls == 3  # working again: read every round


def test_ipmi_says_which_failures_last(tmp_path: Path) -> None:
    from agent.commands import CommandError

    (tmp_path / "ipmi0").touch()
    causes = {}
    for kind in ("missing", "denied", "timeout", "failed"):
        error = CommandError(COMMAND, kind, "recorded")  # type: ignore[arg-type]
        try:
            IpmiSource(recorded({COMMAND: error}), dev_root=tmp_path).read()
        except SourceUnavailable as exc:
            causes[kind] = exc.lasting
    try:
        IpmiSource(recorded({}), dev_root=tmp_path / "none").read()
    except SourceUnavailable as exc:
        causes["no device"] = exc.lasting
    assert causes == {
        "missing": True,
        "denied": True,
        "timeout": False,
        "failed": False,
        "no device": True,
    }


def test_absent_rapl_and_battery_are_lasting(tmp_path: Path) -> None:
    from agent.sources.battery import BatterySource

    causes = []
    for source in (RaplSource(tmp_path / "none"), BatterySource(tmp_path)):
        try:
            source.read()
        except SourceUnavailable as exc:
            causes.append(exc.lasting)
    assert causes == [True, True]
