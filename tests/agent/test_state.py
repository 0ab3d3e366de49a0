"""Sleep detection, probe back-off, power state and display state."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from agent.commands import CommandError
from agent.state.reader import Guarded, HostState, display_on_from_state
from agent.state.sleepdetect import SleepDetector, linux_clocks
from contract.wire import PowerState, SleepSettings, StateBlock

T0 = datetime(2026, 1, 5, 19, 0, tzinfo=UTC)


class Clocks:
    """CLOCK_BOOTTIME and CLOCK_MONOTONIC as a suspend would move them."""

    def __init__(self) -> None:
        self.boot, self.mono = 5000.0, 4000.0

    def __call__(self) -> tuple[float, float]:
        return self.boot, self.mono

    def awake(self, s: float) -> None:
        self.boot += s
        self.mono += s

    def suspend(self, s: float) -> None:
        self.boot += s


def test_sleep_detector_sees_a_suspend_after_resume() -> None:
    clocks = Clocks()
    wall = {"now": T0}
    det = SleepDetector(clocks, wall=lambda: wall["now"])
    assert det.poll() is False  # first poll: baseline (sleeps before start are unknown)
    clocks.awake(60)
    assert det.poll() is False
    clocks.suspend(3600)
    clocks.awake(1)
    wall["now"] = T0 + timedelta(seconds=3661)
    assert det.poll() is True
    [interval] = det.take()
    assert interval.end == wall["now"]
    assert interval.end - interval.start == timedelta(seconds=3600)
    assert det.take() == []


def test_sleep_detector_is_bounded_and_counts_drops() -> None:
    clocks = Clocks()
    det = SleepDetector(clocks, wall=lambda: T0, max_pending=3)
    det.poll()
    for _ in range(5):
        clocks.suspend(100)
        det.poll()
    assert len(det.take()) == 3
    assert det.dropped_total == 2


def test_real_clocks_do_not_report_a_sleep_now() -> None:
    det = SleepDetector(linux_clocks)
    det.poll()
    assert det.poll() is False


def test_guarded_probe_backs_off_then_recovers() -> None:
    now = {"t": 0.0}
    calls = {"n": 0}

    def flaky() -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise CommandError(["x"], "failed", "boom")
        return 42

    g = Guarded("x", flaky, -1, retry_seconds=600, clock=lambda: now["t"])
    assert g() == -1 and g.last_error is not None
    now["t"] = 599
    assert g() == -1 and calls["n"] == 1
    now["t"] = 601
    assert g() == 42 and g.last_error is None


def test_guarded_probe_retries_a_missing_command_once_an_hour() -> None:
    now = {"t": 0.0}
    calls = {"n": 0}

    def missing() -> int:
        calls["n"] += 1
        raise CommandError(["gsettings"], "missing", "gsettings is not installed")

    def failing() -> int:
        calls["n"] += 1
        raise CommandError(["loginctl"], "failed", "Failed to connect to bus")

    g = Guarded("x", missing, -1, clock=lambda: now["t"])
    assert g() == -1 and calls["n"] == 1
    now["t"] = 601
    assert g() == -1 and calls["n"] == 1  # not installed: not tried again after 600 s
    now["t"] = 3601
    assert g() == -1 and calls["n"] == 2 and "not installed" in (g.last_error or "")
    calls["n"] = 0
    now["t"] = 0.0
    f = Guarded("y", failing, -1, clock=lambda: now["t"])
    f()
    now["t"] = 601
    f()
    assert calls["n"] == 2  # a failure that may pass: after 600 s


def _state(idle: float | None, clocks: Clocks | None = None) -> HostState:
    return HostState(
        idle=lambda: idle,
        settings=lambda: SleepSettings(display_ac_seconds=600),
        blockers=lambda: ["system:process"],
        on_battery=lambda: False,
        boot_time=lambda: T0,
        detector=SleepDetector(clocks, wall=lambda: T0) if clocks else None,
    )


def test_power_states() -> None:
    assert _state(10).read().power_state is PowerState.ACTIVE
    assert _state(None).read().power_state is PowerState.ACTIVE  # no evidence, no accusation
    idle = _state(1200).read()
    assert idle.power_state is PowerState.IDLE and idle.sleep_blockers == ["system:process"]
    clocks = Clocks()
    state = _state(5, clocks)
    state.read()
    clocks.suspend(600)
    resumed = state.read()
    assert resumed.power_state is PowerState.RESUMED and len(resumed.slept) == 1
    assert state.read().power_state is PowerState.ACTIVE


def test_display_state_from_idle_and_timeout() -> None:
    settings = SleepSettings(display_ac_seconds=600, display_battery_seconds=120)
    block = StateBlock(power_state=PowerState.IDLE, idle_seconds=300, sleep_settings=settings)
    assert display_on_from_state(block) is True
    on_battery = dataclasses.replace(block, on_battery=True)
    assert display_on_from_state(on_battery) is False
    never = dataclasses.replace(block, sleep_settings=SleepSettings(display_ac_seconds=0))
    assert display_on_from_state(never) is True
    assert display_on_from_state(None) is None
