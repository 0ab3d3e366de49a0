"""The agent's own footprint, reported like any other figure (source ``self``).

``agent_cpu_seconds_total`` (user + system CPU time of this process, all threads, and of the
commands it ran: systemd-inhibit, powercfg...),
``agent_resident_bytes`` (resident memory), ``agent_sent_bytes_total`` (MQTT payload bytes
handed to the network, resends included) and ``agent_spool_dropped_total`` per reason
(messages the store-and-forward spool had to drop).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from agent.sources.base import reading
from contract.wire import Quality, Reading, utcnow

NAME = "self"


def resident_bytes() -> int:
    """This process's resident set size, in bytes."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        import psutil

        return int(psutil.Process().memory_info().rss)


class FootprintSource:
    """CPU time, memory and bytes sent by the agent itself."""

    def __init__(
        self,
        sent_bytes: Callable[[], int] = lambda: 0,
        dropped: Callable[[], Mapping[str, int]] = dict,
    ) -> None:
        self._sent_bytes = sent_bytes
        self._dropped = dropped

    def read(self) -> list[Reading]:
        ts = utcnow()
        t = os.times()
        out = [
            reading(
                ts,
                "agent_cpu_seconds_total",
                t.user + t.system + t.children_user + t.children_system,
                NAME,
                Quality.MEASURED,
            ),
            reading(ts, "agent_resident_bytes", resident_bytes(), NAME, Quality.MEASURED),
            reading(ts, "agent_sent_bytes_total", self._sent_bytes(), NAME, Quality.MEASURED),
        ]
        for reason, n in sorted(self._dropped().items()):
            out.append(reading(ts, "agent_spool_dropped_total", n, NAME, Quality.MEASURED, reason))
        return out
