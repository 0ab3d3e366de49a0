"""The SNMP side's own errors: what :mod:`collector.snmp.client` raises instead of pysnmp's.

::

    SnmpError                 any SNMP failure; str() says what and where
    ├── SnmpTimeout           no answer within timeout × (retries + 1): device down, wrong port,
    │                         or (v1/v2c) a wrong community, which agents silently ignore
    └── SnmpAuthError         SNMPv3 rejected: unknown user, wrong auth or priv key
"""

from __future__ import annotations


class SnmpError(Exception):
    """An SNMP request failed (error status from the agent, bad reply, local engine error)."""


class SnmpTimeout(SnmpError):
    """The agent did not answer in time."""


class SnmpAuthError(SnmpError):
    """The agent refused our SNMPv3 credentials."""
