"""SNMP side of the collector: polls PDUs, UPSes and PoE gear for power (W) and energy (J).

``client`` is the only module doing SNMP I/O; ``profiles/*.toml`` say where each vendor keeps
its power and energy; ``decode`` and ``counters`` are pure; ``device`` polls one target and
``poller`` runs rounds over many; ``responder`` serves recorded walks over real UDP for tests
and the demo; ``cli`` backs ``veille-collector poll``.
"""
