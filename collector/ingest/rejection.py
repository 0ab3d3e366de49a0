"""The one error of ingestion: a message that goes to the dead-letter store, with its reason."""

from __future__ import annotations


class Rejected(Exception):
    """A message that must go to the dead-letter store. ``code`` labels the metric;
    ``reason`` (never empty) names the field and the rule it broke."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason or code
