"""The contract between the agent and the collector: the only code both sides import.

- :mod:`contract.schema`: wire schema v1 (the JSON an agent publishes), topics, and the
  identifier pattern of device ids and sites.
- :mod:`contract.settings`: typed configuration loading (TOML + environment), ``ConfigError``.
- :mod:`contract.counters`: counter arithmetic (deltas across wraps and resets).
- :mod:`contract.mqtt`: the paho client both sides build (protocol, credentials, TLS).
- :mod:`contract.scopes`: what each agent source's energy counters measure (device or part).

Nothing here imports ``agent`` or ``collector``. A change here is a change of the contract:
the collector must keep reading what older agents send (``schema`` 1).
"""
