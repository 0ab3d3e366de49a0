"""Real servers on loopback ports, for the tests and the benchmarks alike (not shipped).

:mod:`loopback.servers` starts Mosquitto, VictoriaMetrics, snmpd, PostgreSQL and Alertmanager
from Debian's packages on free 127.0.0.1 ports. The tests (``tests/conftest.py`` fixtures) and
``bench/`` both use it, so neither imports from the other.
"""
