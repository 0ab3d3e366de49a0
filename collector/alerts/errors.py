"""The one error a delivery raises.

::

    DeliveryError            a channel could not hand a batch over (retried by the dispatcher)
     └── PermanentDeliveryError   retrying cannot help (rejected as malformed: HTTP 400, ...)

Messages name the channel and the cause, never a secret: channels build them from the server's
reply and the host name, not from their settings or the exception of a library that may have
echoed credentials.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A channel could not deliver a batch; the dispatcher retries it with backoff."""


class PermanentDeliveryError(DeliveryError):
    """The server refused the batch itself (HTTP 4xx other than 408/429): not retried."""
