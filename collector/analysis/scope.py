"""What an energy counter measures: the whole device, or a part of it (data, no I/O).

A whole-device energy counter (a PDU's kWh register per inlet, a UPS's output kWh, a server's
Redfish energy) beats whole-device power: it is the meter that bills. A part counter (RAPL
package, DRAM, platform) measures only some of the device and never replaces whole-device
power. The scope is a property of the sample's ``source``, declared where the source is:

- ``agent.sources.rapl`` declares ``SCOPE = "part"`` for its zones;
- every SNMP profile's ``[[energy]]`` table declares ``scope`` (default ``"device"``: its rows
  together are the device, e.g. the three inputs of a Schleifenbauer chain);
- :data:`EXTRA_SCOPES` lists the sources that have no declaring module (the simulator's
  Redfish counter).

A counter without a component is the device total whatever its source; a counter with a
component whose source is declared nowhere is taken as a part (the cautious reading: it never
displaces whole-device power).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from enum import StrEnum

from agent.sources import rapl
from collector.snmp.profiles import default_profiles


class Scope(StrEnum):
    """Whether the counters of one source add up to the whole device."""

    DEVICE = "device"
    PART = "part"


#: Counter sources declared by no module of their own.
EXTRA_SCOPES: Mapping[str, Scope] = {"redfish": Scope.DEVICE}


@functools.cache
def counter_scopes() -> Mapping[str, Scope]:
    """Source name -> scope, gathered from the modules and profiles that declare them."""
    scopes: dict[str, Scope] = dict(EXTRA_SCOPES)
    for profile in default_profiles().values():
        for spec in profile.energy:
            # One part spec makes the source a part source: never the cautious side wrong.
            if scopes.get(profile.source) != Scope.PART:
                scopes[profile.source] = Scope(spec.scope)
    scopes[rapl.NAME] = Scope(rapl.SCOPE)
    return scopes


def scope_of(source: str, component: str | None, scopes: Mapping[str, Scope]) -> Scope:
    """The scope of one energy counter (see the module docstring for the rule)."""
    if component is None:
        return Scope.DEVICE
    return scopes.get(source, Scope.PART)
