"""Generic JSON webhook delivery: one POST per batch, body from :mod:`collector.alerts.payload`.

The bearer token (``alerts.webhook.token``, best set as ``VEILLE_ALERTS__WEBHOOK__TOKEN``) goes
in the ``Authorization`` header only; it never appears in an error or a log line.
"""

from __future__ import annotations

from pydantic import SecretStr

from collector.alerts.events import Batch
from collector.alerts.http import post_json
from collector.alerts.payload import batch_json


class WebhookChannel:
    """POSTs each batch to ``url`` as JSON, with an optional bearer token."""

    name = "webhook"
    stateful = False

    def __init__(
        self, url: str, *, token: SecretStr | None = None, timeout_seconds: float = 10.0
    ) -> None:
        self.url = url
        self._token = token
        self.timeout = timeout_seconds

    def send(self, batch: Batch) -> None:
        headers = {"User-Agent": "veille-collector"}
        if self._token is not None and self._token.get_secret_value():
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        post_json(self.name, self.url, batch_json(batch), headers=headers, timeout=self.timeout)
