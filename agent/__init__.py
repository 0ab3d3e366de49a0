"""veille agent: reads power, uptime and sleep evidence on one machine and sends it over MQTT."""

__version__ = "0.1.0"
