"""The errors of the GLPI import, and one refused row.

::

    GlpiError                 anything that stops an import before it writes
    ├── GlpiAuthError         GLPI refused the app token or the user token (HTTP 400/401 at login)
    ├── GlpiUnavailable       no answer: connection refused, timeout, HTTP 5xx
    └── GlpiProtocolError     an answer veille cannot read (not JSON, missing keys, bad range)

A :class:`RowProblem` is not an exception: every bad row is collected with where it is (CSV file
and line, or API itemtype and item id) and why, and the import refuses them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass


class GlpiError(Exception):
    """The GLPI import cannot go on; the message says what and where, never a token."""


class GlpiAuthError(GlpiError):
    """GLPI refused the credentials (wrong or missing app token or user token)."""


class GlpiUnavailable(GlpiError):
    """GLPI did not answer, or answered with a server error."""


class GlpiProtocolError(GlpiError):
    """GLPI answered something that is not the documented shape."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One refused row: ``where`` is e.g. ``computers.csv line 7`` or ``Computer id 12``."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"
