"""Grafana dashboards as data (``spec``, ``catalog``) and their JSON (``build``).

``python -m collector.dashboards`` regenerates ``dashboards/json/``; it needs the
``dashboards`` extra (grafana-foundation-sdk), which the collector itself does not.
"""
