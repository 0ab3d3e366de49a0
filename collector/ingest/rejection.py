"""The one error of ingestion: a message that goes to the dead-letter store, with its reason."""

from __future__ import annotations

#: A reason is for a person reading a log line or ``veille-collector dead-letters``: it may quote
#: what the sender wrote, so it is cut to this length and its control characters are escaped.
MAX_REASON_CHARS = 500


class Rejected(Exception):
    """A message that must go to the dead-letter store. ``code`` labels the metric;
    ``reason`` (never empty, one line, at most :data:`MAX_REASON_CHARS`) names the field and
    the rule it broke."""

    def __init__(self, code: str, reason: str) -> None:
        reason = _one_line(reason or code)
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[: MAX_REASON_CHARS - 1] + "…"
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _one_line(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
