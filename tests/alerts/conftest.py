"""The alert end-to-end fixtures (tests/alerts/end_to_end.py), for every test module here."""

from tests.alerts.end_to_end import ledger, mailbox, webhook

__all__ = ["ledger", "mailbox", "webhook"]
