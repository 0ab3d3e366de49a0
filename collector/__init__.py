"""veille collector: ingests agents (MQTT) and devices (SNMP), stores, analyses and reports."""

__version__ = "0.1.0"
