"""A simulated estate for ``veille-collector demo`` and tests: no hardware, no broker needed.

- :mod:`collector.sim.fleet`: the devices and their profiles (W, local minutes, s);
- :mod:`collector.sim.office`, :mod:`collector.sim.behaviour`, :mod:`collector.sim.servers`:
  what each device does at any instant (pure functions of seed, device and time);
- :mod:`collector.sim.agents`: the messages the agents would have sent (wire schema v1);
- :mod:`collector.sim.datacentre`: PDUs, the room's UPS and a PoE midspan over real SNMP,
  from recorded walks of real devices;
- :mod:`collector.sim.malformed`: invalid messages for the dead-letter store.
"""
