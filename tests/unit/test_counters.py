"""counter_delta tells wraps from resets, using uptime when it has one."""

from __future__ import annotations

import pytest

from contract.counters import Step, counter_delta

M32 = 2**32


@pytest.mark.parametrize(
    ("prev", "new", "modulus", "up0", "up1", "step", "delta"),
    [
        (100, 250, M32, 10, 20, Step.NORMAL, 150),
        (M32 - 50, 70, M32, 10, 20, Step.WRAP, 120),  # fell while uptime rose: a wrap
        (5_000, 30, M32, 1_000, 5, Step.RESET, 30),  # fell with a restart: a reset
        (5_000, 6_000, M32, 1_000, 5, Step.RESET, 6_000),  # restarted and already past
        (M32 - 50, 70, M32, None, None, Step.WRAP, 120),  # no uptime, small wrapped delta
        (M32 // 4, 70, M32, None, None, Step.RESET, 70),  # no uptime, implausible wrap
        (500, 20, None, 10, 20, Step.RESET, 20),  # cannot wrap: any fall is a reset
    ],
)
def test_counter_delta(prev, new, modulus, up0, up1, step, delta) -> None:
    got = counter_delta(prev, new, modulus=modulus, prev_uptime=up0, new_uptime=up1)
    assert got.step is step
    assert got.delta == pytest.approx(delta)
