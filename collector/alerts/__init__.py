"""Alert deliveries: typed alert events in, messages out to Alertmanager, a webhook, an MQTT
topic, e-mail and a Prometheus gauge.

Analysis (the ledger's violation life cycle, PUE, silent devices) produces
:class:`~collector.alerts.events.AlertEvent` values; the
:class:`~collector.alerts.dispatcher.Dispatcher` hands them to every configured channel through
one bounded queue and worker per channel, retries with backoff, counts on ``/metrics`` and
remembers what it delivered (table ``alert_deliveries``) so a restart never sends twice.
"""
