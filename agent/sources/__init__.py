"""Power sources, best first. Each module reads one thing; ``SOURCES`` is the explicit registry.

``uptime`` (:mod:`agent.sources.system`) and the agent's footprint
(:mod:`agent.sources.footprint`) are always read and are not listed here.
"""

from __future__ import annotations

from agent.sources.base import Source, SourceUnavailable
from agent.sources.battery import BatterySource
from agent.sources.ipmi import IpmiSource
from agent.sources.model import ModelSource
from agent.sources.rapl import RaplSource

SOURCES: dict[str, type[Source]] = {
    "rapl": RaplSource,
    "ipmi": IpmiSource,
    "battery": BatterySource,
    "model": ModelSource,
}

#: Read only when no source above measured the whole device's power.
FALLBACK = frozenset({"model"})

__all__ = ["FALLBACK", "SOURCES", "Source", "SourceUnavailable"]
