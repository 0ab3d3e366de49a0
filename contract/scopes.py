"""What an agent source's energy counters measure: the whole device, or a part of it.

Part of the contract: a reading's ``source`` and ``component`` tell the collector whether an
``energy_joules_total`` counter may stand for the device. A whole-device counter beats
whole-device power; a part counter (RAPL package, DRAM, platform) never replaces it. A source
not listed here, with a component, is taken as a part (the cautious reading). SNMP sources are
declared in their profiles (``[[energy]] scope``), on the collector's side.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Scope(StrEnum):
    """Whether the counters of one source add up to the whole device."""

    DEVICE = "device"
    PART = "part"


#: Agent sources that send energy counters, and what they measure.
AGENT_COUNTER_SCOPES: Mapping[str, Scope] = {
    "rapl": Scope.PART,  # package, DRAM, platform zones: never the whole machine at the wall
    "redfish": Scope.DEVICE,  # the BMC's whole-system energy (the simulator sends it)
}
