"""What an energy counter measures: the whole device, or a part of it (data, no I/O).

A whole-device energy counter (a PDU's kWh register per inlet, a UPS's output kWh, a server's
Redfish energy) beats whole-device power: it is the meter that bills. A part counter (RAPL
package, DRAM, platform) measures only some of the device and never replaces whole-device
power. The scope is a property of the sample's ``source``, declared where the source is:

- agent sources in :data:`contract.scopes.AGENT_COUNTER_SCOPES` (RAPL: part);
- every SNMP profile's ``[[energy]]`` table declares ``scope`` (default ``"device"``: its rows
  together are the device, e.g. the three inputs of a Schleifenbauer chain).

A counter without a component is the device total whatever its source; a counter with a
component whose source is declared nowhere is taken as a part (the cautious reading: it never
displaces whole-device power).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from collector.snmp.profiles import default_profiles
from contract.scopes import AGENT_COUNTER_SCOPES, Scope

__all__ = ["Scope", "counter_scopes", "scope_of"]


@functools.cache
def counter_scopes() -> Mapping[str, Scope]:
    """Source name -> scope, gathered from the contract and the SNMP profiles."""
    scopes: dict[str, Scope] = {}
    for profile in default_profiles().values():
        for spec in profile.energy:
            # One part spec makes the source a part source: never the cautious side wrong.
            if scopes.get(profile.source) != Scope.PART:
                scopes[profile.source] = Scope(spec.scope)
    scopes.update(AGENT_COUNTER_SCOPES)
    return scopes


def scope_of(source: str, component: str | None, scopes: Mapping[str, Scope]) -> Scope:
    """The scope of one energy counter (see the module docstring for the rule)."""
    if component is None:
        return Scope.DEVICE
    return scopes.get(source, Scope.PART)
