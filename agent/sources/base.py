"""The contract every power source follows: ``read() -> list[Reading]``, SI units inside.

A source that cannot work on this machine raises :class:`SourceUnavailable` with the reason
and the fix; ``veille-agent check`` prints both. ``lasting=True`` says the cause lasts until an
administrator acts (no such hardware, a tool not installed, a file not readable): the running
agent then tries that source again once an hour, not every round (:mod:`agent.runner`).
Every reading names its source and says whether it was measured or estimated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from contract.wire import Quality, Reading


class Source(Protocol):
    """Reads power (or another figure) on this machine."""

    def read(self) -> list[Reading]: ...


class SourceUnavailable(Exception):
    """This source cannot read here; ``reason`` says why and ``fix`` what would make it work."""

    def __init__(self, reason: str, fix: str = "", *, lasting: bool = False) -> None:
        self.reason = reason
        self.fix = fix
        self.lasting = lasting
        super().__init__(reason + (f" (fix: {fix})" if fix else ""))


def reading(
    ts: datetime,
    metric: str,
    value: float,
    source: str,
    quality: Quality,
    component: str | None = None,
) -> Reading:
    """A Reading, with the value rounded to what a meter can mean (1 mW, 1 mJ, 1 ms)."""
    return Reading(
        ts=ts,
        metric=metric,
        value=round(float(value), 3),
        source=source,
        quality=quality,
        component=component,
    )
