"""The run loop's wait: no wake-up between rounds, a resume reported at once, a stop at once.

A real suspend cannot happen here: the clock-jump fd is checked as the kernel shows it
(``/proc/self/fdinfo``), and the loop is driven through a pipe standing for it, with the
sleep detector's clocks moved as a suspend moves them. Wake-ups are counted by the kernel
(``/proc/self/task/<tid>/schedstat``: the times a thread was given the CPU).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.config import AgentConfig
from agent.runner import Agent
from agent.spool import Spool
from agent.state.reader import HostState
from agent.state.sleepdetect import SleepDetector
from agent.transport import Publisher
from agent.wake import Waiter, system_waiter
from contract.wire import PowerState, SleepSettings
from loopback.servers import free_port
from tests.agent.test_runner import _model

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux timerfd")
T0 = datetime(2026, 1, 5, 19, 0, tzinfo=UTC)


def slices(native_id: int) -> int:
    """How many times the kernel ran this thread (schedstat's third field)."""
    with open(f"/proc/self/task/{native_id}/schedstat") as fh:
        return int(fh.read().split()[2])


@linux_only
def test_the_clock_jump_fd_is_armed_to_cancel_on_a_clock_set() -> None:
    waiter = system_waiter()
    try:
        assert waiter.clock_fd is not None and not waiter.polls
        text = Path(f"/proc/self/fdinfo/{waiter.clock_fd}").read_text()
        info = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        assert info["clockid"].strip() == "0"  # CLOCK_REALTIME: what a resume "sets"
        if "settime flags" in info:  # Linux >= 5.x shows them
            assert int(info["settime flags"], 8) == 3  # ABSTIME | CANCEL_ON_SET
        started = time.monotonic()
        assert waiter.wait(0.3) is False  # no jump: a plain timeout
        assert 0.25 <= time.monotonic() - started < 2
    finally:
        waiter.close()


def test_wait_returns_on_a_clock_jump_and_on_wake() -> None:
    r, w = os.pipe()
    os.set_blocking(r, False)
    waiter = Waiter(r)
    try:
        os.write(w, b"x" * 8)
        assert waiter.wait(30) is True
        assert waiter.wait(0.05) is False  # read: not readable any more
        threading.Timer(0.2, waiter.wake).start()
        started = time.monotonic()
        assert waiter.wait(30) is False
        assert time.monotonic() - started < 5
    finally:
        waiter.close()
        os.close(w)


def test_without_a_clock_fd_the_wait_polls() -> None:
    waiter = Waiter(None)
    try:
        assert waiter.polls
        started = time.monotonic()
        assert waiter.wait(0.2) is True  # the caller must compare the clocks itself
        assert time.monotonic() - started < 2
        threading.Timer(0.2, waiter.wake).start()
        started = time.monotonic()
        waiter.wait(30)
        assert time.monotonic() - started < 4.5  # woken, not the 5 s poll
    finally:
        waiter.close()


class Clocks:
    def __init__(self) -> None:
        self.boot, self.mono = 5000.0, 4000.0

    def __call__(self) -> tuple[float, float]:
        return self.boot, self.mono


def _agent(tmp_path: Path, waiter: Waiter, clocks: Clocks) -> tuple[Agent, Spool]:
    config = AgentConfig(device_id="pc-1", kind="server", sysfs_root=tmp_path)
    config = dataclasses.replace(config, interval_seconds=600)
    spool = Spool(":memory:", max_messages=100, max_age_seconds=3600)
    publisher = Publisher(
        dataclasses.replace(config.mqtt, port=free_port()), site="t", device_id="pc-1", spool=spool
    )
    state = HostState(
        idle=lambda: 5.0,
        settings=lambda: SleepSettings(display_ac_seconds=600),
        blockers=lambda: [],
        on_battery=lambda: False,
        boot_time=lambda: T0,
        detector=SleepDetector(clocks, wall=lambda: T0),
    )
    return Agent(config, {"model": _model()}, state, publisher, waiter=waiter), spool


def _wait_for(cond: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_the_loop_sleeps_between_rounds_and_reports_a_resume_at_once(tmp_path: Path) -> None:
    r, w = os.pipe()
    os.set_blocking(r, False)
    clocks = Clocks()
    waiter = Waiter(r)
    agent, spool = _agent(tmp_path, waiter, clocks)
    stop = threading.Event()
    loop = threading.Thread(target=agent.run_forever, args=(stop,))
    loop.start()
    try:
        assert _wait_for(lambda: len(spool) == 1)  # the first round, at start
        assert loop.native_id is not None
        time.sleep(0.3)
        before = slices(loop.native_id)
        time.sleep(6)  # the old loop woke every 5 s
        assert slices(loop.native_id) == before  # not run once: asleep until the next round
        os.write(w, b"x" * 8)  # a clock jump without a sleep (an NTP step): no report
        time.sleep(0.5)
        assert len(spool) == 1
        clocks.boot += 3600  # suspended for an hour, then the kernel says the clock jumped
        os.write(w, b"x" * 8)
        assert _wait_for(lambda: len(spool) == 2, 5)  # reported at once, not in 600 s
        [(_, payload)] = spool.peek(0, 10)
        assert f'"power_state":"{PowerState.RESUMED.value}"'.encode() in payload.replace(b" ", b"")
        started = time.monotonic()
        stop.set()
        agent.wake()
        loop.join(5)
        assert not loop.is_alive() and time.monotonic() - started < 5
    finally:
        stop.set()
        agent.wake()
        loop.join(5)
        waiter.close()
        os.close(w)
